import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { can } from './policy.js';
import { NOW, proxy, resident, scope, seedWorld, staff, client } from './policy.fixtures.js';
import { everythingAs, readAs, searchAs } from './policy.test-helpers.js';
import { BreakGlassService } from './break-glass.service.js';
import { AggregateService } from './aggregate.service.js';
import { WriteRemitService } from './write-remit.service.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  await seedWorld(t.platform);
});
afterAll(async () => t.close());

describe('staff: legitimate relationships', () => {
  const gp = staff('gp', 'gp-a');

  it('sees the patients registered with their practice and their entries, no one else', async () => {
    expect((await searchAs(t, gp, 'Patient')).ids).toEqual(['pat-a', 'pat-c']);
    const o = await searchAs(t, gp, 'Observation');
    // pat-c objects to sharing: the acute trust's obs-c-acute stays with the acute trust.
    expect(o.ids).toEqual(['obs-a', 'obs-a-sg', 'obs-a-withheld', 'obs-c-gp']);
    expect(o.total).toBe(4);
  });

  it('user B cannot read another person by id: hidden answers like missing', async () => {
    expect(await readAs(t, gp, 'Patient', 'pat-a')).toBe(true);
    expect(await readAs(t, gp, 'Patient', 'pat-b')).toBe(false);
    expect(await readAs(t, gp, 'Observation', 'obs-b')).toBe(false);
    expect(await readAs(t, gp, 'Patient', 'no-such')).toBe(false);
  });

  it('a search crafted to infer hidden data finds nothing and _total does not count it', async () => {
    for (const q of ['_id=obs-b', 'subject=Patient/pat-b', 'subject.name=pat-b', 'code:text=obs-b', '_has:Observation:subject:_id=obs-b']) {
      const type = q.startsWith('_has') ? 'Patient' : 'Observation';
      const r = await searchAs(t, gp, type, q);
      expect(r.ids, q).toEqual([]);
      expect(r.total, q).toBe(0);
    }
    // A chain through a hidden patient does not match even though the observation is authored by gp-a's org... here none is.
    expect((await searchAs(t, gp, 'Observation', 'subject:Patient.name=pat-b')).total).toBe(0);
  });

  it('_include and _revinclude do not leak hidden resources', async () => {
    const acute = staff('community-nurse', 'acute');
    // acute sees obs-c-acute (its own) but pat-c objects: the Patient stays visible (exempt), gp-a's obs does not.
    const r = await searchAs(t, acute, 'Patient', '_id=pat-c&_revinclude=Observation:subject');
    expect(r.ids).toEqual(['pat-c']);
    expect(r.included).toEqual(['Observation/obs-c-acute']);
    const b = await searchAs(t, gp, 'Observation', '_id=obs-a&_include=Observation:subject&_revinclude:iterate=Observation:subject');
    expect(b.included).not.toContain('Patient/pat-b');
    expect(b.included).not.toContain('Observation/obs-b');
  });

  it('relationships come from referrals to an organisation\'s services and from open encounters', async () => {
    const mh = staff('mental-health-practitioner', 'mh');
    expect((await searchAs(t, mh, 'Patient')).ids).toEqual(['pat-d']);
    const acute = staff('community-nurse', 'acute');
    expect((await searchAs(t, acute, 'Patient')).ids).toEqual(['pat-c']);
  });

  it('a finished encounter ends the relationship (the derived row is replaced on write)', async () => {
    const acute = staff('community-nurse', 'acute');
    const enc = JSON.parse((await t.platform.resources.read('Encounter', 'enc-c')).content!);
    await t.platform.resources.update('Encounter', 'enc-c', { ...enc, status: 'finished' });
    expect(await readAs(t, acute, 'Patient', 'pat-c')).toBe(false);
    // Its own entries stay visible to the organisation that recorded them.
    expect(await readAs(t, acute, 'Observation', 'obs-c-acute')).toBe(true);
    await t.platform.resources.update('Encounter', 'enc-c', enc);
    expect(await readAs(t, acute, 'Patient', 'pat-c')).toBe(true);
  });

  it('directory types are visible to all staff; $everything is restricted', async () => {
    expect((await searchAs(t, staff('receptionist', 'council'), 'Organization')).total).toBe(6);
    const e = await everythingAs(t, gp, 'pat-b');
    expect(e).toEqual([]);
    const a = await everythingAs(t, staff('community-nurse', 'acute'), 'pat-c');
    expect(a).toContain('Patient/pat-c');
    expect(a).toContain('Observation/obs-c-acute');
    expect(a).not.toContain('Observation/obs-c-gp');
  });
});

describe('consent: sharing objection', () => {
  it('others see that the record exists and that sharing is withheld; each organisation sees what it recorded', async () => {
    const acute = staff('gp', 'acute');
    expect((await searchAs(t, acute, 'Consent', 'patient=pat-c')).ids).toEqual(['consent-c']);
    expect((await searchAs(t, acute, 'Observation', 'subject=pat-c')).ids).toEqual(['obs-c-acute']);
    const gp = staff('gp', 'gp-a');
    expect((await searchAs(t, gp, 'Observation', 'subject=pat-c')).ids).toEqual(['obs-c-gp']);
    expect((await searchAs(t, gp, 'Observation', 'subject=pat-c')).total).toBe(1);
  });
});

describe('security labels', () => {
  it('a mental health entry is visible to the GP and the recording trust, not to a practice nurse', async () => {
    expect(await readAs(t, staff('gp', 'gp-a'), 'Condition', 'cond-a-psy')).toBe(true);
    expect(await readAs(t, staff('practice-nurse', 'gp-a'), 'Condition', 'cond-a-psy')).toBe(false);
    expect(await readAs(t, staff('mental-health-practitioner', 'mh'), 'Condition', 'cond-a-psy')).toBe(true);
    expect(await readAs(t, staff('practice-nurse', 'gp-a'), 'Observation', 'obs-a')).toBe(true);
  });
  it('safeguarding: the recording practice always; a social worker elsewhere only with a relationship', async () => {
    expect(await readAs(t, staff('practice-nurse', 'gp-a'), 'Observation', 'obs-a-sg')).toBe(true); // own organisation's entry
    expect(await readAs(t, staff('social-worker', 'council'), 'Observation', 'obs-a-sg')).toBe(false);
  });
});

describe('break-glass', () => {
  it('grants time-limited access, is listed for review, and shown to the person', async () => {
    const bg = new BreakGlassService(t.platform.db);
    const nurse = staff('community-nurse', 'council');
    expect(await readAs(t, nurse, 'Patient', 'pat-b')).toBe(false);
    await expect(bg.breakGlass(nurse, 'pat-b', 'because', 'long enough text', NOW)).rejects.toMatchObject({ status: 400 });
    await expect(bg.breakGlass(nurse, 'pat-b', 'direct-care-emergency', 'short', NOW)).rejects.toMatchObject({ status: 400 });
    await expect(bg.breakGlass(nurse, 'nobody', 'direct-care-emergency', 'collapsed at home', NOW)).rejects.toMatchObject({ status: 404 });
    await expect(bg.breakGlass(staff('receptionist', 'council'), 'pat-b', 'direct-care-emergency', 'collapsed at home', NOW)).rejects.toMatchObject({ status: 403 });
    const g = await bg.breakGlass(nurse, 'pat-b', 'direct-care-emergency', 'collapsed at home, GP closed', NOW);
    expect(g.expiresAt).toBe('2025-03-01T14:00:00.000Z');
    expect(await readAs(t, nurse, 'Patient', 'pat-b')).toBe(true);
    expect(await readAs(t, nurse, 'Observation', 'obs-b')).toBe(true);
    expect(await readAs(t, nurse, 'Observation', 'obs-b', new Date('2025-03-01T14:00:01Z'))).toBe(false);
    expect(await readAs(t, staff('community-nurse', 'council', { id: 'someone-else' }), 'Patient', 'pat-b')).toBe(false);
    const review = await bg.listBreakGlassForReview(staff('privacy-officer', 'icb'));
    expect(review.map((r) => r.id)).toContain(g.id);
    await expect(bg.listBreakGlassForReview(nurse)).rejects.toMatchObject({ status: 403 });
    expect((await bg.forPerson(resident('pat-b'), 'pat-b')).map((r) => r.reasonCode)).toEqual(['direct-care-emergency']);
    await expect(bg.forPerson(resident('pat-a'), 'pat-b')).rejects.toMatchObject({ status: 404 });
    await bg.review(staff('privacy-officer', 'icb'), g.id, 'appropriate', NOW);
    expect((await bg.listBreakGlassForReview(staff('privacy-officer', 'icb'))).map((r) => r.id)).not.toContain(g.id);
  });
  it('break-glass lifts a sharing objection but not a sensitive label', async () => {
    const bg = new BreakGlassService(t.platform.db);
    const u = staff('discharge-coordinator', 'gp-b', { id: 'u-dc' });
    await bg.breakGlass(u, 'pat-c', 'patient-unable-to-consent', 'unconscious on admission', NOW);
    expect(await readAs(t, u, 'Observation', 'obs-c-gp')).toBe(true);
    await bg.breakGlass(u, 'pat-a', 'patient-unable-to-consent', 'unconscious on admission', NOW);
    expect(await readAs(t, u, 'Condition', 'cond-a-psy')).toBe(false);
  });
});

describe('residents and proxies', () => {
  it('a resident sees their own record except what is withheld from them', async () => {
    const r = resident('pat-a');
    expect((await searchAs(t, r, 'Observation')).ids).toEqual(['obs-a', 'obs-a-sg']);
    expect(await readAs(t, r, 'Condition', 'cond-a-psy')).toBe(true);
    expect(await readAs(t, r, 'Patient', 'pat-b')).toBe(false);
    expect((await searchAs(t, r, 'AuditEvent')).ids).toEqual(['ae-a']);
  });
  it('a proxy sees what the consent grants (Observation), never sensitive or withheld entries', async () => {
    const pr = proxy(['rp-a'], ['pat-a']);
    expect(await readAs(t, pr, 'Patient', 'pat-a')).toBe(true);
    expect((await searchAs(t, pr, 'Observation')).ids).toEqual(['obs-a']);
    expect(await readAs(t, pr, 'Condition', 'cond-a-psy')).toBe(false);
    expect(await readAs(t, proxy(['rp-x'], ['pat-a']), 'Observation', 'obs-a')).toBe(false);
    expect(await readAs(t, pr, 'Observation', 'obs-b')).toBe(false);
  });
});

describe('analysts, audit, scopes', () => {
  it('ICB analysts get no identifiable record, only aggregates with small numbers suppressed', async () => {
    const a = staff('icb-analyst', 'icb');
    expect(can(a, 'read', 'Patient').allowed).toBe(false);
    expect(can(a, 'search', 'Observation').allowed).toBe(false);
    expect((await searchAs(t, a, 'Observation')).total).toBe(0);
    expect(await readAs(t, a, 'Patient', 'pat-a')).toBe(false);
    const agg = await new AggregateService(t.platform.db).aggregateCounts(a, 'Observation', 'status');
    expect(agg.groups).toEqual([{ system: null, code: 'final', count: 7, suppressed: false }]);
    const small = await new AggregateService(t.platform.db).aggregateCounts(a, 'Patient', 'gender');
    expect(small).toMatchObject({ total: null, totalSuppressed: true });
    const few = await new AggregateService(t.platform.db).aggregateCounts(a, 'Observation', 'status', [['subject', 'Patient/pat-c']]);
    expect(few.groups).toEqual([{ system: null, code: 'final', count: null, suppressed: true }]);
    expect(few.totalSuppressed).toBe(true);
    await expect(new AggregateService(t.platform.db).aggregateCounts(staff('gp', 'gp-a'), 'Patient', 'gender')).rejects.toMatchObject({ status: 403 });
  });

  it('AuditEvent is append-only through the API, read by privacy officers', async () => {
    for (const p of [staff('system-admin', 'icb'), staff('privacy-officer', 'icb'), staff('gp', 'gp-a'), client('gp-a', ['system/*.cruds'])]) {
      for (const a of ['create', 'update', 'patch', 'delete'] as const) expect(can(p, a, 'AuditEvent').allowed).toBe(false);
    }
    expect((await searchAs(t, staff('privacy-officer', 'icb'), 'AuditEvent')).ids).toEqual(['ae-a']);
    expect((await searchAs(t, staff('gp', 'gp-a'), 'AuditEvent')).ids).toEqual([]);
  });

  it('scopes limit a token further', async () => {
    const tok = staff('gp', 'gp-a', { via: 'token', scopes: [scope('user/Observation.rs')] });
    expect(can(tok, 'read', 'Observation').allowed).toBe(true);
    expect(can(tok, 'create', 'Observation').allowed).toBe(false);
    expect(can(tok, 'read', 'Condition').allowed).toBe(false);
    expect(await readAs(t, tok, 'Condition', 'cond-a-psy')).toBe(false);
    const launch = staff('gp', 'gp-a', { via: 'token', patientId: 'pat-c', scopes: [scope('patient/*.rs')] });
    expect((await searchAs(t, launch, 'Patient')).ids).toEqual(['pat-c']);
    const sys = client('acute', ['system/Observation.rs', 'system/Patient.rs']);
    expect((await searchAs(t, sys, 'Observation')).ids).toEqual(['obs-c-acute']);
    expect(can(sys, 'create', 'Observation').allowed).toBe(false);
    expect(can(sys, 'read', 'Condition').allowed).toBe(false);
    expect(can(client('acute', []), 'read', 'Organization').allowed).toBe(false);
  });
});

describe('write remit', () => {
  const w = () => new WriteRemitService(t.platform.db);
  const newObs = (patient: string, org: string) => ({
    resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${patient}` },
    meta: { tag: [{ system: 'https://onestory.example/fhir/CodeSystem/recorded-by-organization', code: org }] },
  }) as any;

  it('writes only for related patients, and changes only the organisation\'s own entries', async () => {
    const gp = staff('gp', 'gp-a');
    expect((await w().checkWrite(gp, 'create', 'Observation', NOW, newObs('pat-a', 'gp-a'))).allowed).toBe(true);
    expect(await w().checkWrite(gp, 'create', 'Observation', NOW, newObs('pat-b', 'gp-a'))).toMatchObject({ allowed: false, notFound: true });
    expect((await w().checkWrite(gp, 'create', 'Observation', NOW, newObs('pat-a', 'gp-b'))).allowed).toBe(false);
    const current = JSON.parse((await t.platform.resources.read('Observation', 'obs-c-acute')).content!);
    expect((await w().checkWrite(gp, 'update', 'Observation', NOW, current, current)).allowed).toBe(false);
    const own = JSON.parse((await t.platform.resources.read('Observation', 'obs-a')).content!);
    expect((await w().checkWrite(gp, 'update', 'Observation', NOW, own, own)).allowed).toBe(true);
    const hidden = JSON.parse((await t.platform.resources.read('Observation', 'obs-b')).content!);
    expect(await w().checkWrite(gp, 'delete', 'Observation', NOW, undefined, hidden)).toMatchObject({ allowed: false, notFound: true });
    const forged = { ...own, meta: { tag: [{ system: 'https://onestory.example/fhir/CodeSystem/recorded-by-organization', code: 'acute' }] } };
    expect((await w().checkWrite(gp, 'update', 'Observation', NOW, forged, own)).allowed).toBe(false);
    const mhsr = JSON.parse((await t.platform.resources.read('ServiceRequest', 'sr-d')).content!);
    expect((await w().checkWrite(staff('gp', 'gp-b'), 'update', 'ServiceRequest', NOW, mhsr, mhsr)).allowed).toBe(true);
  });

  it('a resident adds to their own record only', async () => {
    const qr = (p: string) => ({ resourceType: 'QuestionnaireResponse', status: 'completed', subject: { reference: `Patient/${p}` } }) as any;
    expect((await w().checkWrite(resident('pat-a'), 'create', 'QuestionnaireResponse', NOW, qr('pat-a'))).allowed).toBe(true);
    expect((await w().checkWrite(resident('pat-a'), 'create', 'QuestionnaireResponse', NOW, qr('pat-b'))).allowed).toBe(false);
    expect((await w().checkWrite(resident('pat-a'), 'create', 'Observation', NOW, newObs('pat-a', 'gp-a'))).allowed).toBe(false);
  });
});
