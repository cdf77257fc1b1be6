import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentials, clientToken, createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import type { Principal, StaffRole } from './principal.js';
import { hashPassword } from './identity/password.service.js';
import { identityFor } from './identity/identity.js';
import { createResident, createStaff, signIn } from './identity/identity.test-helpers.js';
import { can } from './policy/policy.js';
import { proxy, resident, seedWorld, staff, WORLD } from './policy/policy.fixtures.js';
import { readAs, searchAs } from './policy/policy.test-helpers.js';
import { AccessLogService } from './audit/access-log.service.js';

// The access policy as a client meets it over HTTP: every answer of the FHIR API must be the
// policy's decision (src/access/policy, checked cell by cell in access-matrix.test.ts), for real
// users signed in with real sessions, and every refusal must change nothing.

const PASSWORD = 'correct horse battery staple';
let t: TestPlatform;

interface User {
  name: string;
  headers: Record<string, string>;
  csrf: string;
  /** The principal the policy helpers judge with (the same user, as the session builds it). */
  as: (now: Date) => Principal;
}
const users = new Map<string, User>();
const STAFF: [string, StaffRole, string][] = [
  ['gp-a-gp', 'gp', 'gp-a'],
  ['acute-dc', 'discharge-coordinator', 'acute'],
  ['mh-mhp', 'mental-health-practitioner', 'mh'],
  ['council-sw', 'social-worker', 'council'],
  ['gp-a-reception', 'receptionist', 'gp-a'],
  ['icb-analyst', 'icb-analyst', 'icb'],
  ['icb-privacy', 'privacy-officer', 'icb'],
];

async function addUser(name: string, make: () => Promise<string>, as: (id: string) => Principal) {
  const id = await make();
  const s = await signIn(t.app, name, PASSWORD);
  users.set(name, { name, headers: { cookie: s.cookie, authorization: '' }, csrf: s.csrf, as: () => as(id) });
}
const user = (name: string) => users.get(name)!;
const as = (name: string, method: string, url: string, body?: unknown, extra: Record<string, string> = {}) =>
  fhir(t.app, method, url, body, { ...user(name).headers, ...(method === 'GET' ? {} : { 'x-csrf-token': user(name).csrf }), ...extra });

beforeAll(async () => {
  t = await createTestPlatform();
  await seedWorld(t.platform);
  for (const [name, role, org] of STAFF) {
    await addUser(name, () => createStaff(t.platform, name, PASSWORD, [{ organizationId: org, role }]), (id) => staff(role, org, { id }));
  }
  await addUser('resident-a', () => createResident(t.platform, 'resident-a', PASSWORD, 'pat-a'), (id) => ({ ...resident('pat-a'), id }));
  await addUser('carer-a', async () => identityFor(t.platform).users.create({
    kind: 'proxy', username: 'carer-a', displayName: 'Carer of A', passwordHash: await hashPassword(PASSWORD),
    proxyLinks: [{ relatedPersonId: 'rp-a', patientId: 'pat-a' }],
  }), (id) => ({ ...proxy(['rp-a'], ['pat-a']), id }));
}, 60_000);
afterAll(async () => t?.close());

// Counted in audit_event, where a request's record is durable before its answer; audit_chain links
// rows just after their write commits, so counting it would race with the previous test's writes.
const auditCount = async () => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_event')).rows[0].n);
const contentOf = async (type: string, id: string) =>
  (await t.platform.db.query<{ content: string }>('SELECT content FROM resource WHERE resource_type = $1 AND id = $2', [type, id])).rows[0]?.content;

describe('reads over HTTP are the policy\'s decision', () => {
  it('every user × every resource of the world: 200 when visible, 404 when hidden or missing, 403 when the role may not read the type', async () => {
    const now = new Date();
    let cells = 0;
    for (const u of users.values()) {
      const p = u.as(now);
      for (const r of WORLD) {
        const type = r.resourceType;
        const expected = !can(p, 'read', type).allowed ? 403 : (await readAs(t, p, type, r.id!, now)) ? 200 : 404;
        const res = await as(u.name, 'GET', `${type}/${r.id}`);
        expect(res.status, `${u.name} GET ${type}/${r.id}`).toBe(expected);
        if (expected === 404) expect(res.body.issue[0].diagnostics).toBe(`${type}/${r.id} is not known`);
        cells++;
      }
      // A missing resource answers exactly like a hidden one.
      const missing = await as(u.name, 'GET', 'Observation/does-not-exist');
      expect(missing.status).toBe(can(p, 'read', 'Observation').allowed ? 404 : 403);
    }
    expect(cells).toBe(users.size * WORLD.length);
  });

  it('searches return exactly the visible rows, and _total, _include and _revinclude never count or add a hidden one', async () => {
    const now = new Date();
    for (const u of users.values()) {
      const p = u.as(now);
      for (const type of ['Patient', 'Observation', 'Condition', 'Consent']) {
        const res = await as(u.name, 'GET', `${type}?_total=accurate&_count=100`);
        if (!can(p, 'search', type).allowed) {
          expect(res.status, `${u.name} ${type}`).toBe(403);
          continue;
        }
        const want = await searchAs(t, p, type, '', now);
        const got = (res.body.entry ?? []).map((e: any) => e.resource.id).sort();
        expect(got, `${u.name} ${type}`).toEqual(want.ids);
        expect(res.body.total).toBe(want.ids.length);
      }
      if (!can(p, 'search', 'Observation').allowed) continue;
      const inc = await as(u.name, 'GET', 'Observation?_include=Observation:subject&_count=100');
      for (const e of inc.body.entry.filter((x: any) => x.search.mode === 'include')) {
        expect(await readAs(t, p, e.resource.resourceType, e.resource.id, now), `${u.name} included ${e.resource.id}`).toBe(true);
      }
      const rev = await as(u.name, 'GET', 'Patient?_revinclude=Observation:subject&_count=100');
      for (const e of rev.body.entry ?? []) {
        expect(await readAs(t, p, e.resource.resourceType, e.resource.id, now), `${u.name} revincluded ${e.resource.id}`).toBe(true);
      }
    }
  });

  it('paging through a search one row at a time returns each visible row exactly once and no hidden one', async () => {
    const now = new Date();
    for (const u of users.values()) {
      const p = u.as(now);
      for (const type of ['Patient', 'Observation']) {
        if (!can(p, 'search', type).allowed) continue;
        const want = await searchAs(t, p, type, '', now);
        const got: string[] = [];
        let url: string | undefined = `${type}?_count=1`;
        while (url) {
          const page = await as(u.name, 'GET', url);
          expect(page.status, `${u.name} ${url}`).toBe(200);
          got.push(...(page.body.entry ?? []).map((e: any) => e.resource.id as string));
          const next: string | undefined = page.body.link?.find((l: any) => l.relation === 'next')?.url;
          url = next ? next.slice(next.indexOf(`${type}?`)) : undefined;
          expect(got.length, `${u.name} ${type}: paging does not end`).toBeLessThanOrEqual(want.ids.length);
        }
        expect([...got].sort(), `${u.name} ${type}`).toEqual(want.ids);
        expect(new Set(got).size).toBe(got.length);
      }
    }
  });

  it('a search crafted to infer hidden data finds nothing: chains, _has, _id and a hidden subject', async () => {
    // The GP at gp-a has no relationship with pat-b.
    for (const url of [
      'Observation?subject=Patient/pat-b&_total=accurate',
      'Observation?subject.name=pat-b&_total=accurate',
      'Patient?_has:Observation:subject:code:text=obs-b&_total=accurate',
      'Patient?_id=pat-b&_total=accurate',
      'Patient?name=pat-b&_total=accurate',
    ]) {
      const res = await as('gp-a-gp', 'GET', url);
      expect(res.status, url).toBe(200);
      expect(res.body.total, url).toBe(0);
      expect(res.body.entry ?? [], url).toEqual([]);
      // Unrestricted, the same search finds pat-b's rows: the filters match, the policy hides them.
      const [type, query] = url.split('?');
      const open = await t.platform.resources.search.run(t.platform.resources.search.parse(type, [...new URLSearchParams(query)] as [string, string][]), {});
      expect(open.total, url).toBeGreaterThan(0);
    }
  });

  it('$everything, history and vread of a hidden person answer 404; of a related one, only what is visible', async () => {
    expect((await as('gp-a-gp', 'GET', 'Patient/pat-b/$everything')).status).toBe(404);
    expect((await as('gp-a-gp', 'GET', 'Patient/pat-b/_history')).status).toBe(404);
    expect((await as('gp-a-gp', 'GET', 'Observation/obs-b/_history/1')).status).toBe(404);
    const now = new Date();
    const gp = user('gp-a-gp').as(now);
    const all = await as('gp-a-gp', 'GET', 'Patient/pat-a/$everything');
    expect(all.status).toBe(200);
    for (const e of all.body.entry) expect(await readAs(t, gp, e.resource.resourceType, e.resource.id, now)).toBe(true);
    // Under pat-c's sharing objection the acute trust's $everything holds the marker and its own entries only.
    const objecting = await as('acute-dc', 'GET', 'Patient/pat-c/$everything');
    expect(objecting.body.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort()).toEqual(['consent-c', 'enc-c', 'obs-c-acute', 'pat-c']);
    const hist = await as('gp-a-gp', 'GET', 'Observation/_history?_count=100');
    for (const e of hist.body.entry) expect(await readAs(t, gp, 'Observation', e.resource.id, now)).toBe(true);
  });

  it('a sharing objection leaves other organisations the Patient and the Consent, and what they recorded themselves', async () => {
    // pat-c objects; acute has an open Encounter with them.
    expect((await as('acute-dc', 'GET', 'Patient/pat-c')).status).toBe(200);
    expect((await as('acute-dc', 'GET', 'Consent/consent-c')).status).toBe(200);
    expect((await as('acute-dc', 'GET', 'Observation/obs-c-gp')).status).toBe(404);
    expect((await as('acute-dc', 'GET', 'Observation/obs-c-acute')).status).toBe(200);
  });

  it('a resident reads their own record, not what is withheld from them, and no one else\'s', async () => {
    expect((await as('resident-a', 'GET', 'Observation/obs-a')).status).toBe(200);
    expect((await as('resident-a', 'GET', 'Observation/obs-a-withheld')).status).toBe(404);
    expect((await as('resident-a', 'GET', 'Patient/pat-b')).status).toBe(404);
    // The carer sees the Observations the consent grants, not the Condition it does not.
    expect((await as('carer-a', 'GET', 'Observation/obs-a')).status).toBe(200);
    expect((await as('carer-a', 'GET', 'Condition/cond-a-psy')).status).toBe(404);
  });

  it('roles without the record get 403: analysts see no identifiable record, reception no clinical content', async () => {
    expect((await as('icb-analyst', 'GET', 'Patient?_count=1')).status).toBe(403);
    expect((await as('icb-analyst', 'GET', 'Patient/pat-a')).status).toBe(403);
    expect((await as('gp-a-reception', 'GET', 'Observation?_count=1')).status).toBe(403);
    expect((await as('gp-a-reception', 'GET', 'Patient/pat-a')).status).toBe(200);
    expect((await as('icb-analyst', 'GET', 'Organization?_count=1')).status).toBe(200);
  });
});

describe('writes over HTTP', () => {
  it('another person\'s id in a reference (IDOR) is refused as not found and writes nothing', async () => {
    const before = await t.platform.db.query("SELECT count(*) AS n FROM resource WHERE resource_type = 'Observation'");
    const res = await as('gp-a-gp', 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: 'Patient/pat-b' } });
    expect(res.status).toBe(404);
    const tx = await as('gp-a-gp', 'POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'final', code: { text: 'ok' }, subject: { reference: 'Patient/pat-a' } } },
        { request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'final', code: { text: 'idor' }, subject: { reference: 'Patient/pat-b' } } },
      ],
    });
    expect(tx.status).toBe(404);
    const after = await t.platform.db.query("SELECT count(*) AS n FROM resource WHERE resource_type = 'Observation'");
    expect(after.rows).toEqual(before.rows);
  });

  it('updates and deletes of another organisation\'s entry are refused; hidden ones are not found; nothing changes', async () => {
    const psy = await contentOf('Condition', 'cond-a-psy');
    const obsA = await contentOf('Observation', 'obs-a');
    const obsB = await contentOf('Observation', 'obs-b');
    // Visible to the mental health practitioner? The world relates mh to pat-d only: hidden, so 404.
    expect((await as('mh-mhp', 'PUT', 'Observation/obs-a', { ...JSON.parse(obsA!), status: 'cancelled' })).status).toBe(404);
    // A DELETE of what the caller cannot see answers 204 like a DELETE of nothing, and deletes nothing.
    expect((await as('gp-a-gp', 'DELETE', 'Observation/obs-b')).status).toBe(204);
    expect((await as('gp-a-gp', 'PATCH', 'Observation/obs-b', [{ op: 'replace', path: '/status', value: 'cancelled' }], { 'content-type': 'application/json-patch+json' })).status).toBe(404);
    // The resident may not change their own entries: people add to their record.
    expect((await as('resident-a', 'PUT', 'Observation/obs-a', { ...JSON.parse(obsA!), status: 'cancelled' })).status).toBe(403);
    expect(await contentOf('Condition', 'cond-a-psy')).toBe(psy);
    expect(await contentOf('Observation', 'obs-a')).toBe(obsA);
    expect(await contentOf('Observation', 'obs-b')).toBe(obsB);
  });

  it('DELETE answers alike for hidden and live, hidden and deleted, and never existed (204); the hidden ones are left as they were', async () => {
    // obs-b-gone: pat-b's, hidden from gp-a like obs-b, and deleted already.
    const gone = { resourceType: 'Observation', id: 'obs-b-gone', status: 'final', code: { text: 'bp' }, subject: { reference: 'Patient/pat-b' } };
    await t.platform.resources.update('Observation', 'obs-b-gone', gone);
    await t.platform.resources.delete('Observation', 'obs-b-gone');
    const versions = async () => (await t.platform.db.query('SELECT id, version_id, deleted, content FROM resource WHERE id = ANY($1) ORDER BY id', [['obs-b', 'obs-b-gone']])).rows;
    const before = await versions();
    const answers: { status: number; body: string }[] = [];
    for (const id of ['obs-b', 'obs-b-gone', 'obs-never-was']) {
      const res = await as('gp-a-gp', 'DELETE', `Observation/${id}`);
      answers.push({ status: res.status, body: res.text });
      // With If-Match there is no current version to match, whichever of the three it is.
      const checked = await as('gp-a-gp', 'DELETE', `Observation/${id}`, undefined, { 'if-match': 'W/"1"' });
      answers.push({ status: checked.status, body: checked.text.replaceAll(id, '<id>') });
    }
    expect(answers).toEqual([0, 1, 2].flatMap(() => [answers[0], answers[1]]));
    expect(answers[0]).toEqual({ status: 204, body: '' });
    expect(answers[1].status).toBe(412);
    // In a transaction too.
    const tx = await as('gp-a-gp', 'POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: ['obs-b', 'obs-b-gone', 'obs-never-was'].map((id) => ({ request: { method: 'DELETE', url: `Observation/${id}` } })),
    });
    expect(tx.status).toBe(200);
    expect(tx.body.entry.map((e: any) => e.response.status)).toEqual(['204 No Content', '204 No Content', '204 No Content']);
    expect(await versions()).toEqual(before);
    expect(before.map((r: any) => [r.id, r.deleted])).toEqual([['obs-b', false], ['obs-b-gone', true]]);
  });

  it('a write records who wrote it and for which organisation; a body claiming another organisation is refused', async () => {
    const made = await as('gp-a-gp', 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: 'Patient/pat-a' } });
    expect(made.status).toBe(201);
    expect(made.body.meta.tag).toContainEqual({ system: 'https://onestory.example/fhir/CodeSystem/recorded-by-organization', code: 'gp-a' });
    expect(made.body.meta.source).toMatch(/^urn:onestory:user:/);
    const claim = await as('gp-a-gp', 'POST', 'Observation', {
      resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pat-a' },
      meta: { tag: [{ system: 'https://onestory.example/fhir/CodeSystem/recorded-by-organization', code: 'acute' }] },
    });
    expect(claim.status).toBe(403);
    // The resident's own message carries no organisation.
    const msg = await as('resident-a', 'POST', 'Communication', { resourceType: 'Communication', status: 'completed', subject: { reference: 'Patient/pat-a' }, payload: [{ contentString: 'Hello' }] });
    expect(msg.status).toBe(201);
    expect(msg.body.meta.tag).toBeUndefined();
  });

  it('a state-changing request with the session cookie but without its CSRF token is refused and changes nothing', async () => {
    const before = await auditCount();
    const res = await fhir(t.app, 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'csrf' }, subject: { reference: 'Patient/pat-a' } }, user('gp-a-gp').headers);
    expect(res.status).toBe(403);
    expect((await t.platform.db.query("SELECT 1 FROM resource WHERE content LIKE '%\"csrf\"%'")).rows).toHaveLength(0);
    expect(await auditCount()).toBe(before + 1);
  });
});

describe('credentials', () => {
  it('no credentials, a forged token, or a token for another server get 401 with WWW-Authenticate; each is audited', async () => {
    const before = await auditCount();
    const none = await fhir(t.app, 'GET', 'Patient/pat-a', undefined, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="OneStory"');
    const forged = await fhir(t.app, 'GET', 'Patient/pat-a', undefined, { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(forged.status).toBe(401);
    expect(forged.headers['www-authenticate']).toContain('error="invalid_token"');
    const elsewhere = await fhir(t.app, 'GET', 'Patient/pat-a', undefined, { host: 'other.example' });
    expect(elsewhere.status).toBe(401);
    expect(await auditCount()).toBe(before + 3);
    // The CapabilityStatement stays public: SMART discovery starts there, and it says where to get a token.
    const cs = await fhir(t.app, 'GET', 'metadata', undefined, { authorization: '' });
    expect(cs.status).toBe(200);
    expect(cs.body.rest[0].security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    expect(cs.body.rest[0].security.extension[0].extension).toContainEqual({ url: 'token', valueUri: 'http://localhost:80/oauth2/token' });
  });
});

describe('token scopes', () => {
  it('a system integration gets only what its scopes name: other types 403, writes without a write scope 403, nothing written', async () => {
    const { clientId, clientSecret } = await identityFor(t.platform).clients.register({ organizationId: 'gp-a', scope: 'system/Patient.rs', name: 'Narrow' });
    const narrow = { clientId, clientSecret: clientSecret! };
    expect((await clientCredentials(t.app, narrow, 'system/Observation.rs')).statusCode).toBe(400); // more than registered: invalid_scope
    const authorization = await clientToken(t.app, narrow);
    expect((await fhir(t.app, 'GET', 'Patient/pat-a', undefined, { authorization })).status).toBe(200);
    const obs = await fhir(t.app, 'GET', 'Observation?subject=Patient/pat-a', undefined, { authorization });
    expect(obs.status).toBe(403);
    expect(obs.body.issue[0].diagnostics).toContain('scopes do not allow search on Observation');
    const before = await contentOf('Patient', 'pat-a');
    expect((await fhir(t.app, 'PUT', 'Patient/pat-a', { ...JSON.parse(before!), active: false }, { authorization })).status).toBe(403);
    expect(await contentOf('Patient', 'pat-a')).toBe(before);
  });
});

describe('break-glass over the API', () => {
  it('lifts the relationship for 4 hours with a reason, is audited with it, and shows in the person\'s access log', async () => {
    expect((await as('acute-dc', 'GET', 'Patient/pat-b')).status).toBe(404);
    const params = (reason: string, text: string) => ({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: reason }, { name: 'text', valueString: text }] });
    expect((await as('acute-dc', 'POST', 'Patient/pat-b/$break-glass', params('because', 'Arrived unconscious in A&E'))).status).toBe(400);
    expect((await as('acute-dc', 'POST', 'Patient/pat-b/$break-glass', params('toString', 'Arrived unconscious in A&E'))).status).toBe(400);
    expect((await as('acute-dc', 'POST', 'Patient/%00/$break-glass', params('patient-unable-to-consent', 'Arrived unconscious in A&E'))).status).toBe(404);
    expect((await as('acute-dc', 'POST', 'Patient/pat-b/$break-glass', params('patient-unable-to-consent', 'short'))).status).toBe(400);
    expect((await as('acute-dc', 'POST', 'Patient/pat-b/$break-glass', params('patient-unable-to-consent', 'Arrived unconscious in A&E'), { 'x-csrf-token': 'wrong' })).status).toBe(403);
    expect((await as('gp-a-reception', 'POST', 'Patient/pat-b/$break-glass', params('patient-unable-to-consent', 'Arrived unconscious in A&E'))).status).toBe(403);
    expect((await as('acute-dc', 'GET', 'Patient/pat-b')).status).toBe(404);

    const ok = await as('acute-dc', 'POST', 'Patient/pat-b/$break-glass', params('patient-unable-to-consent', 'Arrived unconscious in A&E'));
    expect(ok.status).toBe(200);
    const expires = Date.parse(ok.body.parameter.find((p: any) => p.name === 'expires').valueInstant);
    expect(expires - Date.now()).toBeGreaterThan(3.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(4 * 3600_000);
    expect((await as('acute-dc', 'GET', 'Patient/pat-b')).status).toBe(200);
    expect((await as('acute-dc', 'GET', 'Observation/obs-b')).status).toBe(200);
    // Another user of the same organisation has no grant.
    expect((await as('gp-a-gp', 'GET', 'Patient/pat-b')).status).toBe(404);

    const log = await new AccessLogService(t.platform.db).accessLogFor('pat-b', { count: 10 });
    const glass = log.entries.find((e) => e.interaction.code === 'break-glass');
    expect(glass).toMatchObject({ role: { code: 'discharge-coordinator' }, organisation: { id: 'acute' }, reason: 'Arrived unconscious in A&E' });
    // The reads after it are in the log too, by role and organisation.
    expect(log.entries.filter((e) => e.interaction.code === 'read' && e.organisation?.id === 'acute').length).toBeGreaterThanOrEqual(2);
  });
});
