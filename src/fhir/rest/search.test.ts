import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { ids, put, searchset } from './search-test-helpers.js';

// Search parameter types, modifiers and prefixes, asserting exactly which resources match.
// https://hl7.org/fhir/R4/search.html

let t: TestPlatform;
const q = (url: string) => ids(t.app, url);

const AMB = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' };

beforeAll(async () => {
  t = await createTestPlatform();
  const app = t.app;
  await put(app, { resourceType: 'Organization', id: 'org-1', name: 'Medway Practice' });
  await put(app, { resourceType: 'Practitioner', id: 'pr-1', name: [{ family: 'Hughes' }] });
  await put(app, {
    resourceType: 'Patient', id: 'p-ada', active: true, gender: 'female', birthDate: '1948-03-02',
    identifier: [
      { system: 'urn:oid:1.2.3', value: 'A1' },
      { system: 'urn:sys:mrn', value: 'M-1', type: { text: 'Medical record number' } },
    ],
    name: [{ family: 'Okafor', given: ['Ada'] }],
    address: [{ city: 'Maidstone', postalCode: 'ME14 1XX' }],
    managingOrganization: { reference: 'Organization/org-1' },
  });
  await put(app, {
    resourceType: 'Patient', id: 'p-zoe', active: false, gender: 'female', birthDate: '1990-07',
    identifier: [{ value: 'A1' }],
    name: [{ family: 'Brontë', given: ['Zoë'] }],
  });
  await put(app, {
    resourceType: 'Patient', id: 'p-bob', gender: 'male', birthDate: '1990-07-15',
    identifier: [{ system: 'urn:sys:mrn', value: 'M-2' }],
    name: [{ family: "O'Brien", given: ['Bob'] }],
    generalPractitioner: [{ reference: 'Practitioner/pr-1' }],
  });
  await put(app, { resourceType: 'Patient', id: 'p-nob', name: [{ family: 'Smith', given: ['Anne-Marie'] }] });

  await put(app, {
    resourceType: 'Condition', id: 'c-dm', subject: { reference: 'Patient/p-ada' },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }], text: 'Sugar diabetes' },
  });
  await put(app, {
    resourceType: 'Condition', id: 'c-htn', subject: { reference: 'Patient/p-bob' },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
  });
  await put(app, { resourceType: 'Condition', id: 'c-free', subject: { reference: 'Patient/p-zoe' }, code: { text: 'Feeling low' } });

  const obs = (id: string, extra: object) => put(app, { resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, ...extra });
  await obs('o-ada', { subject: { reference: 'Patient/p-ada' }, valueQuantity: { value: 5.4, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } });
  await obs('o-ada-2', { subject: { reference: 'Patient/p-ada' }, valueQuantity: { value: 5.35, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } });
  await obs('o-bob', { subject: { reference: 'Patient/p-bob' }, valueQuantity: { value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } });
  await obs('o-other-unit', { subject: { reference: 'Patient/p-zoe' }, valueQuantity: { value: 5.4, unit: 'mg', system: 'http://example.org/units', code: 'mg' } });
  await obs('o-abs', { subject: { reference: 'http://example.org/fhir/Patient/ext-1' } });
  await obs('o-logical', { subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' } } });
  await obs('o-group', { subject: { reference: 'Group/p-ada' } });

  const enc = (id: string, period: object) => put(app, { resourceType: 'Encounter', id, status: 'finished', class: AMB, subject: { reference: 'Patient/p-ada' }, period });
  await enc('e-closed', { start: '2020-01-10', end: '2020-01-20' });
  await enc('e-open', { start: '2020-03-01' });
  await enc('e-endonly', { end: '2019-12-31' });
  await enc('e-straddle', { start: '2019-12-15', end: '2020-03-15' });

  const ra = (id: string, probability: number) => put(app, {
    resourceType: 'RiskAssessment', id, status: 'final', subject: { reference: 'Patient/p-ada' }, prediction: [{ probabilityDecimal: probability }],
  });
  await ra('ra-25', 0.25);
  await ra('ra-35', 0.35);
  await ra('ra-80', 0.8);

  const qn = (id: string, url: string) => put(app, { resourceType: 'Questionnaire', id, status: 'active', url });
  await qn('q-phq9', 'http://example.org/Questionnaire/phq9');
  await qn('q-phq9-v2', 'http://example.org/Questionnaire/phq9/v2');
  await qn('q-phq', 'http://example.org/Questionnaire/phq');
  await qn('q-other', 'http://other.org/Questionnaire/phq9');
});
afterAll(async () => t?.close());

describe('string', () => {
  it('matches a prefix of any name part, ignoring case and accents', async () => {
    expect(await q('Patient?name=oka')).toEqual(['p-ada']);
    expect(await q('Patient?name=OKAFOR')).toEqual(['p-ada']);
    expect(await q('Patient?name=ada')).toEqual(['p-ada']);
    expect(await q('Patient?name=zoe')).toEqual(['p-zoe']);
    expect(await q('Patient?name=BRONTË')).toEqual(['p-zoe']);
    expect(await q('Patient?family=o')).toEqual(['p-ada', 'p-bob']);
    expect(await q('Patient?name=kafor')).toEqual([]);
    expect(await q('Patient?address-city=maid')).toEqual(['p-ada']);
    expect(await q(`Patient?name=${encodeURIComponent("o'b")}`)).toEqual(['p-bob']);
  });

  it(':exact matches the whole string, case and accents included', async () => {
    expect(await q('Patient?name:exact=Okafor')).toEqual(['p-ada']);
    expect(await q('Patient?name:exact=okafor')).toEqual([]);
    expect(await q('Patient?name:exact=Oka')).toEqual([]);
    expect(await q(`Patient?family:exact=${encodeURIComponent('Brontë')}`)).toEqual(['p-zoe']);
    expect(await q('Patient?family:exact=Bronte')).toEqual([]);
  });

  it(':contains matches anywhere in the string', async () => {
    expect(await q('Patient?name:contains=kaf')).toEqual(['p-ada']);
    expect(await q('Patient?name:contains=RIEN')).toEqual(['p-bob']);
    expect(await q('Patient?name:contains=ont')).toEqual(['p-zoe']);
    expect(await q('Patient?name:contains=-mar')).toEqual(['p-nob']);
  });
});

describe('token', () => {
  it('system|code, code, |code and system|', async () => {
    expect(await q('Patient?identifier=urn:oid:1.2.3|A1')).toEqual(['p-ada']);
    expect(await q('Patient?identifier=A1')).toEqual(['p-ada', 'p-zoe']);
    expect(await q('Patient?identifier=|A1')).toEqual(['p-zoe']);
    expect(await q('Patient?identifier=urn:sys:mrn|')).toEqual(['p-ada', 'p-bob']);
    expect(await q('Patient?identifier=urn:sys:mrn|A1')).toEqual([]);
  });

  it('CodeableConcept codings, code and boolean', async () => {
    expect(await q('Condition?code=http://snomed.info/sct|44054006')).toEqual(['c-dm']);
    expect(await q('Condition?code=38341003')).toEqual(['c-htn']);
    expect(await q('Condition?code=http://loinc.org|44054006')).toEqual([]);
    expect(await q('Patient?gender=female')).toEqual(['p-ada', 'p-zoe']);
    expect(await q('Patient?gender=male')).toEqual(['p-bob']);
    expect(await q('Patient?active=true')).toEqual(['p-ada']);
    expect(await q('Patient?active=false')).toEqual(['p-zoe']);
  });

  it(':not excludes matches, and keeps resources without a value', async () => {
    expect(await q('Patient?gender:not=female')).toEqual(['p-bob', 'p-nob']);
    expect(await q('Condition?code:not=http://snomed.info/sct|44054006')).toEqual(['c-free', 'c-htn']);
  });

  it(':text searches CodeableConcept.text, Coding.display and Identifier.type.text', async () => {
    expect(await q('Condition?code:text=diabetes')).toEqual(['c-dm']);
    expect(await q('Condition?code:text=sugar')).toEqual(['c-dm']);
    expect(await q('Condition?code:text=HYPERTENSION')).toEqual(['c-htn']);
    expect(await q('Condition?code:text=feeling')).toEqual(['c-free']);
    expect(await q('Patient?identifier:text=medical')).toEqual(['p-ada']);
  });
});

describe('reference', () => {
  it('Type/id, bare id and the :Type modifier', async () => {
    expect(await q('Observation?subject=Patient/p-ada')).toEqual(['o-ada', 'o-ada-2']);
    expect(await q('Observation?patient=p-ada')).toEqual(['o-ada', 'o-ada-2']);
    // subject may refer to several types: a bare id matches all of them.
    expect(await q('Observation?subject=p-ada')).toEqual(['o-ada', 'o-ada-2', 'o-group']);
    expect(await q('Observation?subject:Patient=p-ada')).toEqual(['o-ada', 'o-ada-2']);
    expect(await q('Observation?subject:Group=p-ada')).toEqual(['o-group']);
    expect(await q('Observation?subject:Group=Patient/p-ada')).toEqual([]);
    expect(await q('Patient?general-practitioner=Practitioner/pr-1')).toEqual(['p-bob']);
    expect(await q('Patient?organization=org-1')).toEqual(['p-ada']);
  });

  it('absolute URLs and :identifier', async () => {
    expect(await q('Observation?subject=http://example.org/fhir/Patient/ext-1')).toEqual(['o-abs']);
    expect(await q('Observation?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018')).toEqual(['o-logical']);
    expect(await q('Observation?subject:identifier=9990000018')).toEqual(['o-logical']);
    expect(await q('Observation?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|0000000000')).toEqual([]);
  });
});

describe('date', () => {
  it('eq, ne and partial dates on date values', async () => {
    expect(await q('Patient?birthdate=1990')).toEqual(['p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=eq1990-07')).toEqual(['p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=1990-07-15')).toEqual(['p-bob']);
    expect(await q('Patient?birthdate=1948-03-02')).toEqual(['p-ada']);
    expect(await q('Patient?birthdate=ne1990-07-15')).toEqual(['p-ada', 'p-zoe']);
    expect(await q('Patient?birthdate=1991')).toEqual([]);
  });

  it('lt gt le ge sa eb on date values of different precision', async () => {
    expect(await q('Patient?birthdate=lt1990')).toEqual(['p-ada']);
    expect(await q('Patient?birthdate=gt1948')).toEqual(['p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=gt1990-07-15')).toEqual(['p-zoe']);
    expect(await q('Patient?birthdate=lt1990-07-15')).toEqual(['p-ada', 'p-zoe']);
    expect(await q('Patient?birthdate=ge1990-07-15')).toEqual(['p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=le1990-07-15')).toEqual(['p-ada', 'p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=le1948-03-01')).toEqual([]);
    expect(await q('Patient?birthdate=ge1990-08')).toEqual([]);
    expect(await q('Patient?birthdate=sa1948-03-02')).toEqual(['p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=sa1990-07-01')).toEqual(['p-bob']);
    expect(await q('Patient?birthdate=eb1990-07-15')).toEqual(['p-ada']);
    expect(await q('Patient?birthdate=eb1990-08')).toEqual(['p-ada', 'p-bob', 'p-zoe']);
  });

  it('two-sided ranges (checked together on the one value of a single-valued element)', async () => {
    expect(await q('Patient?birthdate=ge1990-01-01&birthdate=lt1990-07-20')).toEqual(['p-bob', 'p-zoe']);
    expect(await q('Patient?birthdate=gt1990-07-15&birthdate=le1990-12-31')).toEqual(['p-zoe']);
    expect(await q('Patient?birthdate=ge1940&birthdate=lt1950&birthdate=ne1948-03-02')).toEqual([]);
    // Windows that cannot overlap match nothing, and are not an error.
    expect(await q('Patient?birthdate=ge1991&birthdate=lt1990')).toEqual([]);
    expect(await q('Encounter?date=ge2020-01-01&date=le2020-01-31')).toEqual(['e-closed', 'e-straddle']);
  });

  it('Periods, closed and open-ended', async () => {
    expect(await q('Encounter?date=2020-01')).toEqual(['e-closed']);
    expect(await q('Encounter?date=2020')).toEqual(['e-closed']);
    expect(await q('Encounter?date=gt2020-06')).toEqual(['e-open']);
    expect(await q('Encounter?date=lt2019')).toEqual(['e-endonly']);
    expect(await q('Encounter?date=lt2020-01-10')).toEqual(['e-endonly', 'e-straddle']);
    expect(await q('Encounter?date=sa2020-01-31')).toEqual(['e-open']);
    expect(await q('Encounter?date=eb2020-01')).toEqual(['e-endonly']);
    expect(await q('Encounter?date=eb2020-03-16')).toEqual(['e-closed', 'e-endonly', 'e-straddle']);
    // ge: the range above the value overlaps the period, or the value's range contains the period.
    expect(await q('Encounter?date=ge2020-03')).toEqual(['e-open']);
    expect(await q('Encounter?date=ge2020-01')).toEqual(['e-closed', 'e-open', 'e-straddle']);
    // le: the range below the value overlaps the period, or the value's range contains the period.
    expect(await q('Encounter?date=le2020-01-05')).toEqual(['e-endonly', 'e-straddle']);
    expect(await q('Encounter?date=le2020-01')).toEqual(['e-closed', 'e-endonly', 'e-straddle']);
    expect(await q('Encounter?date=ne2020-01')).toEqual(['e-endonly', 'e-open', 'e-straddle']);
    expect(await q('Encounter?date=ap2020-02')).toEqual(['e-straddle']);
  });

  it('a range by AND of two prefixes, and dateTimes with zones', async () => {
    expect(await q('Patient?birthdate=ge1990-01-01&birthdate=lt1990-07-10')).toEqual(['p-zoe']);
    expect(await q('Encounter?date=ge2020-01-01&date=le2020-12-31')).toEqual(['e-closed', 'e-open', 'e-straddle']);
    expect(await q(`Encounter?date=${encodeURIComponent('2020-01-15T10:00:00+01:00')}`)).toEqual([]);
    expect(await q(`Encounter?date=${encodeURIComponent('ap2020-01-15T10:00:00+01:00')}`)).toEqual(['e-closed', 'e-straddle']);
  });
});

describe('number and quantity', () => {
  it('number: implied precision for eq, and prefixes', async () => {
    expect(await q('RiskAssessment?probability=0.25')).toEqual(['ra-25']);
    // 0.3 means [0.25, 0.35): 0.25 is in, 0.35 is out.
    expect(await q('RiskAssessment?probability=0.3')).toEqual(['ra-25']);
    expect(await q('RiskAssessment?probability=0.35')).toEqual(['ra-35']);
    expect(await q('RiskAssessment?probability=1')).toEqual(['ra-80']);
    expect(await q('RiskAssessment?probability=gt0.35')).toEqual(['ra-80']);
    expect(await q('RiskAssessment?probability=ge0.35')).toEqual(['ra-35', 'ra-80']);
    expect(await q('RiskAssessment?probability=lt0.35')).toEqual(['ra-25']);
    expect(await q('RiskAssessment?probability=le0.35')).toEqual(['ra-25', 'ra-35']);
    expect(await q('RiskAssessment?probability=ne0.8')).toEqual(['ra-25', 'ra-35']);
    expect(await q('RiskAssessment?probability=2.5e-1')).toEqual(['ra-25']);
  });

  it('quantity: value, prefixes and system|code', async () => {
    // 5.4 means [5.35, 5.45).
    expect(await q('Observation?value-quantity=5.4')).toEqual(['o-ada', 'o-ada-2', 'o-other-unit']);
    expect(await q('Observation?value-quantity=5.40')).toEqual(['o-ada', 'o-other-unit']);
    expect(await q('Observation?value-quantity=5.4|http://unitsofmeasure.org|mg')).toEqual(['o-ada', 'o-ada-2']);
    expect(await q('Observation?value-quantity=5.4||mg')).toEqual(['o-ada', 'o-ada-2', 'o-other-unit']);
    expect(await q('Observation?value-quantity=gt100')).toEqual(['o-bob']);
    expect(await q('Observation?value-quantity=lt5.4|http://unitsofmeasure.org|mg')).toEqual(['o-ada-2']);
    expect(await q(`Observation?value-quantity=${encodeURIComponent('le120|http://unitsofmeasure.org|mm[Hg]')}`)).toEqual(['o-bob']);
    expect(await q('Observation?value-quantity=gt100|http://unitsofmeasure.org|mg')).toEqual([]);
  });
});

describe('uri', () => {
  it('matches exactly, and :below matches by prefix', async () => {
    expect(await q('Questionnaire?url=http://example.org/Questionnaire/phq9')).toEqual(['q-phq9']);
    expect(await q('Questionnaire?url:below=http://example.org/Questionnaire/phq9')).toEqual(['q-phq9', 'q-phq9-v2']);
    expect(await q('Questionnaire?url:above=http://example.org/Questionnaire/phq9/v2')).toEqual(['q-phq9', 'q-phq9-v2']);
    expect(await q('Questionnaire?url=http://example.org/Questionnaire')).toEqual([]);
    // :below and :above follow the path's segments, not its characters.
    expect(await q('Questionnaire?url:below=http://example.org/Questionnaire/phq')).toEqual(['q-phq']);
    expect(await q('Questionnaire?url:below=http://example.org/Questionnaire')).toEqual(['q-phq', 'q-phq9', 'q-phq9-v2']);
    expect(await q('Questionnaire?url:below=http://example.org/Questionnaire/')).toEqual(['q-phq', 'q-phq9', 'q-phq9-v2']);
  });
});

describe(':missing, OR, AND, _id, _lastUpdated', () => {
  it(':missing=true and :missing=false', async () => {
    expect(await q('Patient?birthdate:missing=true')).toEqual(['p-nob']);
    expect(await q('Patient?gender:missing=false')).toEqual(['p-ada', 'p-bob', 'p-zoe']);
    expect(await q('Patient?general-practitioner:missing=false')).toEqual(['p-bob']);
    expect(await q('Patient?address-city:missing=true')).toEqual(['p-bob', 'p-nob', 'p-zoe']);
  });

  it('commas are OR, repeated parameters are AND', async () => {
    expect(await q('Patient?gender=male,female')).toEqual(['p-ada', 'p-bob', 'p-zoe']);
    expect(await q('Patient?name=ada,bob')).toEqual(['p-ada', 'p-bob']);
    expect(await q('Patient?name=ada&name=okafor')).toEqual(['p-ada']);
    expect(await q('Patient?name=ada&name=bob')).toEqual([]);
    expect(await q('Patient?gender=female&birthdate=lt1990')).toEqual(['p-ada']);
    expect(await q('Patient?identifier=urn:oid:1.2.3|A1,urn:sys:mrn|M-2')).toEqual(['p-ada', 'p-bob']);
  });

  it('_id', async () => {
    expect(await q('Patient?_id=p-ada')).toEqual(['p-ada']);
    expect(await q('Patient?_id=p-ada,p-bob,nope')).toEqual(['p-ada', 'p-bob']);
    expect(await q('Patient?_id=p-ada&gender=male')).toEqual([]);
  });

  it('_lastUpdated with prefixes', async () => {
    const a = await put(t.app, { resourceType: 'Location', id: 'l-a', name: 'A' });
    await new Promise((r) => setTimeout(r, 20));
    const b = await put(t.app, { resourceType: 'Location', id: 'l-b', name: 'B' });
    const at = (x: any) => encodeURIComponent(x.meta.lastUpdated);
    expect(a.meta.lastUpdated < b.meta.lastUpdated).toBe(true);
    expect(await q(`Location?_lastUpdated=${at(a)}`)).toEqual(['l-a']);
    expect(await q(`Location?_lastUpdated=gt${at(a)}`)).toEqual(['l-b']);
    expect(await q(`Location?_lastUpdated=ge${at(a)}`)).toEqual(['l-a', 'l-b']);
    expect(await q(`Location?_lastUpdated=lt${at(b)}`)).toEqual(['l-a']);
    expect(await q(`Location?_lastUpdated=le${at(b)}`)).toEqual(['l-a', 'l-b']);
    expect(await q(`Location?_lastUpdated=ne${at(a)}`)).toEqual(['l-b']);
    expect(await q('Location?_lastUpdated=gt2000-01-01')).toEqual(['l-a', 'l-b']);
    expect(await q('Location?_lastUpdated=lt2000')).toEqual([]);
  });
});

describe('total agrees with matches', () => {
  it('_total=accurate counts every match, not the page', async () => {
    const b = await searchset(t.app, 'Patient?gender=female&_total=accurate&_count=1');
    expect(b.total).toBe(2);
    expect(b.entry.filter((e: any) => e.search.mode === 'match')).toHaveLength(1);
  });
});
