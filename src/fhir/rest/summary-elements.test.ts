import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
let patientId: string;
let observationId: string;
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const birthExtension = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1948-03-02T04:10:00Z' }] };

beforeAll(async () => {
  t = await createTestPlatform();
  patientId = (await fhir(t.app, 'POST', 'Patient', {
    resourceType: 'Patient', identifier: [{ system: 'urn:test:view', value: 'v1' }], name: [{ family: 'Viewed' }],
    birthDate: '1948-03-02', _birthDate: birthExtension, maritalStatus: { text: 'Married' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Viewed</div>' },
  })).body.id;
  observationId = (await fhir(t.app, 'POST', 'Observation', {
    resourceType: 'Observation', status: 'final', code: { text: 'Pulse' }, subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value: 72, unit: '/min' }, note: [{ text: 'resting' }],
  })).body.id;
});
afterAll(async () => t?.close());

const first = (res: { body: any }) => res.body.entry[0].resource;

describe('_summary and _elements', () => {
  it('_summary=true keeps the primitive extensions of summary elements (_birthDate) and tags SUBSETTED', async () => {
    for (const res of [await fhir(t.app, 'GET', `Patient?_id=${patientId}&_summary=true`), await fhir(t.app, 'GET', `Patient/${patientId}?_summary=true`)]) {
      const p = res.body.resourceType === 'Bundle' ? first(res) : res.body;
      expect(p.birthDate).toBe('1948-03-02');
      expect(p._birthDate).toEqual(birthExtension);
      expect(p.maritalStatus).toBeUndefined();
      expect(p.text).toBeUndefined();
      expect(p.meta.tag).toContainEqual(SUBSETTED);
    }
  });

  it('_elements returns the mandatory elements too (status and code of an Observation), and choice elements by their name', async () => {
    for (const res of [
      await fhir(t.app, 'GET', `Observation?_id=${observationId}&_elements=value`),
      await fhir(t.app, 'GET', `Observation/${observationId}?_elements=value`),
      await fhir(t.app, 'GET', `Observation/${observationId}/_history/1?_elements=value`),
    ]) {
      expect(res.status).toBe(200);
      const o = res.body.resourceType === 'Bundle' ? first(res) : res.body;
      expect(o.status).toBe('final');
      expect(o.code).toEqual({ text: 'Pulse' });
      expect(o.valueQuantity).toEqual({ value: 72, unit: '/min' });
      expect(o.subject).toBeUndefined();
      expect(o.note).toBeUndefined();
      expect(o.id).toBe(observationId);
      expect(o.meta.tag).toContainEqual(SUBSETTED);
    }
  });

  it('applies _summary=text and _summary=data on a read', async () => {
    const text = (await fhir(t.app, 'GET', `Patient/${patientId}?_summary=text`)).body;
    expect(Object.keys(text).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    const data = (await fhir(t.app, 'GET', `Patient/${patientId}?_summary=data`)).body;
    expect(data.text).toBeUndefined();
    expect(data.maritalStatus).toEqual({ text: 'Married' });
    expect(data.meta.tag).toContainEqual(SUBSETTED);
  });

  it('a read without a view, or with _summary=false, is the whole resource without a SUBSETTED tag', async () => {
    for (const url of [`Patient/${patientId}`, `Patient/${patientId}?_summary=false`]) {
      const p = (await fhir(t.app, 'GET', url)).body;
      expect(p.maritalStatus).toEqual({ text: 'Married' });
      expect(p.meta.tag ?? []).not.toContainEqual(SUBSETTED);
    }
  });

  it('refuses an unknown _summary on a read with a 400', async () => {
    for (const v of ['count', 'maybe']) {
      const res = await fhir(t.app, 'GET', `Patient/${patientId}?_summary=${v}`);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });
});
