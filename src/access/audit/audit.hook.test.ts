import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkExportRoutes } from '../../fhir/rest/bulk-export.routes.js';
import { fhirRoutes } from '../../fhir/rest/fhir.routes.js';
import { FhirError } from '../../fhir/outcome.js';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { auditContextOf } from './audit-entry.js';
import { ONESTORY_INTERACTION } from './audit-event.builder.js';
import { auditFrameworkErrors, auditHook } from './audit.hook.js';
import { AuditService } from './audit.service.js';
import { gp, privacyOfficer } from './audit.fixtures.js';
import { renderAuditEvent } from './audit-record.js';
import { fromRow, RECORD_COLUMNS } from './audit.repository.js';
import { verifyChain } from './hash-chain.js';

let t: TestPlatform;
let app: FastifyInstance;
let audit: AuditService;

beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  audit = new AuditService(t.platform.db);
  // The FHIR routes as server.ts registers them, with the audit hook in front and a stand-in for identity.
  app = Fastify({
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: auditFrameworkErrors(t.platform, (_err, _req, reply) => reply.code(400).send({ resourceType: 'OperationOutcome', issue: [] }), { service: audit }),
  });
  app.addHook('onRequest', async (req) => {
    if (req.headers['x-test-user'] === 'gp') req.principal = gp;
  });
  await app.register(auditHook(t.platform, { service: audit }));
  app.addContentTypeParser(['application/fhir+json', 'application/json-patch+json'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body ? JSON.parse(String(body)) : undefined);
    } catch {
      done(new FhirError(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', diagnostics: 'not JSON' }] }), undefined);
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) =>
    reply.code(err instanceof FhirError ? err.status : (err.statusCode ?? 500)).send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: err.message }] }),
  );
  await app.register(bulkExportRoutes, { prefix: '/fhir/R4', platform: t.platform });
  await app.register(fhirRoutes, { prefix: '/fhir/R4', platform: t.platform });
  app.post('/auth/sign-in', async (req, reply) => {
    const body = req.body as { user?: string; password?: string };
    const ctx = auditContextOf(req);
    if (body?.password !== 'right') {
      ctx.interaction = 'sign-in-failure';
      ctx.claimedUser = body?.user;
      return reply.code(401).send({ error: 'bad credentials' });
    }
    ctx.interaction = 'sign-in-success';
    ctx.principal = gp;
    return { ok: true };
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

// The rows: a read's is linked into the chain before its answer, a write's is committed with the write and linked just after.
const count = async () => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_event')).rows[0].n);
const lastEvent = async (): Promise<any> => {
  const row = (await t.platform.db.query(`SELECT ${RECORD_COLUMNS} FROM audit_event e ORDER BY e.seq DESC LIMIT 1`)).rows[0];
  return renderAuditEvent(fromRow(row));
};
const code = (e: any) => e.subtype.find((c: any) => c.system === ONESTORY_INTERACTION).code;
const gpHeaders = { 'x-test-user': 'gp' };

describe('auditHook', () => {
  it('records exactly one AuditEvent per request, of every kind, before answering', async () => {
    const patient = await fhir(app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Hook' }] }, gpHeaders);
    expect(patient.status).toBe(201);
    const pid = patient.body.id;
    const requests: [string, string, unknown?, Record<string, string>?][] = [
      ['GET', `Patient/${pid}`],
      ['GET', `Patient/${pid}/_history/1`],
      ['GET', `Observation?patient=${pid}&_count=5`],
      ['GET', `Patient/${pid}/$everything`],
      ['GET', `Patient/${pid}/_history`],
      ['PUT', `Patient/${pid}`, { resourceType: 'Patient', id: pid, name: [{ family: 'Hook2' }] }],
      ['GET', 'Patient/does-not-exist'],
      ['GET', 'NotAType?x=1'],
      ['POST', 'Patient', '{not json'],
      ['GET', 'metadata'],
      ['GET', '/healthz'],
      ['GET', '/no/such/route'],
      ['GET', '/fhir/R4/Patient/%E0%A4%A'],
      ['GET', `/fhir/R4/Patient/${'a'.repeat(300)}`],
      ['POST', '/fhir/R4', { resourceType: 'Bundle', type: 'batch', entry: [] }],
      ['GET', '/fhir/R4/$export', undefined, { prefer: 'respond-async' }],
      ['DELETE', `Patient/${pid}`],
    ];
    for (const [method, url, body, headers] of requests) {
      const before = await count();
      const res = await fhir(app, method, url, body, { ...gpHeaders, ...headers });
      // The record is durable by the time the answer arrives.
      expect(await count(), `${method} ${url} → ${res.status}`).toBe(before + 1);
    }
    expect((await verifyChain(t.platform.db)).ok).toBe(true);
  });

  it('describes the request: interaction, resource, patient, outcome, query and request id', async () => {
    const patient = await fhir(app, 'POST', 'Patient', { resourceType: 'Patient' }, gpHeaders);
    const pid = patient.body.id;
    let e = await lastEvent();
    expect(code(e)).toBe('create');
    expect(e.entity).toContainEqual(expect.objectContaining({ what: { reference: `Patient/${pid}` } }));

    const read = await fhir(app, 'GET', `Patient/${pid}`, undefined, { ...gpHeaders, 'x-request-id': 'req-abc' });
    expect(read.status).toBe(200);
    e = await lastEvent();
    expect(code(e)).toBe('read');
    expect(e.outcome).toBe('0');
    expect(e.agent[0].who.reference).toBe('Practitioner/pr-1');
    expect(e.entity).toContainEqual(expect.objectContaining({ what: { reference: `Patient/${pid}` }, role: expect.objectContaining({ code: '1' }) }));

    await fhir(app, 'GET', `Observation?subject=Patient/${pid}&code=x`, undefined, gpHeaders);
    e = await lastEvent();
    expect(code(e)).toBe('search');
    const q = e.entity.find((x: any) => x.query);
    expect(Buffer.from(q.query, 'base64').toString()).toBe(`subject=Patient/${pid}&code=x`);
    expect(e.entity).toContainEqual(expect.objectContaining({ what: { reference: `Patient/${pid}` } }));

    await fhir(app, 'GET', 'Patient/nope', undefined, gpHeaders);
    e = await lastEvent();
    expect(e).toMatchObject({ outcome: '4', outcomeDesc: expect.stringMatching(/^HTTP 404/) });
    expect(e.agent[0].who.display).toBe('Dr Asha Patel');

    // Without credentials the FHIR API answers 401, recorded as an anonymous failure.
    await fhir(app, 'GET', 'Patient/nope');
    e = await lastEvent();
    expect(e).toMatchObject({ outcome: '4', outcomeDesc: expect.stringMatching(/^HTTP 401/) });
    expect(e.agent[0].who.display).toBe('anonymous');

    const found = await t.platform.access.auditEvents.search([['patient', pid]], { principal: privacyOfficer });
    expect(found.matches.length).toBeGreaterThanOrEqual(3);
  });

  it('takes the interaction and principal a route puts in request.auditContext', async () => {
    const bad = await app.inject({ method: 'POST', url: '/auth/sign-in', payload: { user: 'asha', password: 'wrong' } });
    expect(bad.statusCode).toBe(401);
    let e = await lastEvent();
    expect(code(e)).toBe('sign-in-failure');
    expect(e.agent[0].who.display).toContain('asha');
    expect(e.outcome).toBe('4');
    const ok = await app.inject({ method: 'POST', url: '/auth/sign-in', payload: { user: 'asha', password: 'right' } });
    expect(ok.statusCode).toBe(200);
    e = await lastEvent();
    expect(code(e)).toBe('sign-in-success');
    expect(e.agent[0].who.display).toBe('Dr Asha Patel');
  });

  it('answers 503, not the data, when the audit record cannot be written', async () => {
    const broken = Fastify();
    const failing = { record: () => Promise.reject(new Error('database down')), flush: async () => undefined } as unknown as AuditService;
    await broken.register(auditHook(t.platform, { service: failing }));
    broken.get('/secret', async () => ({ secret: 42 }));
    const res = await broken.inject({ method: 'GET', url: '/secret' });
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('42');
    expect(JSON.parse(res.body).resourceType).toBe('OperationOutcome');
    await broken.close();
  });
});
