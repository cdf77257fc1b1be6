import type { Reference } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENREFERRAL_ID_SYSTEM, uuidFor } from '../directory/oruk-ids.js';
import { signIn } from '../access/identity/identity.test-helpers.js';
import { testNhsNumber } from '../record-view/care.fixtures.js';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { REF, REF_PASSWORD, seedReferralWorld } from './referral.fixtures.js';
import { BARS_EVENT_SYSTEM } from './process-message.service.js';
import { CONSENT_EXTENSION, SHARE_SYSTEM } from './referral.vocabulary.js';

/** A BaRS-style referral message: MessageHeader, ServiceRequest, Patient (by NHS number). */
function message(o: { event?: string; service?: string; performer?: Reference; consent?: boolean; nhs?: string } = {}) {
  return {
    resourceType: 'Bundle', type: 'message',
    entry: [
      {
        fullUrl: 'urn:uuid:3a4f0c3e-0000-4000-8000-000000000001',
        resource: {
          resourceType: 'MessageHeader', id: '3a4f0c3e-0000-4000-8000-000000000001',
          eventCoding: { system: BARS_EVENT_SYSTEM, code: o.event ?? 'servicerequest-request' },
          source: { endpoint: 'https://referrer.example/bars' }, focus: [{ reference: 'urn:uuid:3a4f0c3e-0000-4000-8000-000000000002' }],
        },
      },
      {
        fullUrl: 'urn:uuid:3a4f0c3e-0000-4000-8000-000000000002',
        resource: {
          resourceType: 'ServiceRequest', status: 'active', intent: 'order', priority: 'routine',
          subject: { reference: 'urn:uuid:3a4f0c3e-0000-4000-8000-000000000003' },
          performer: [o.performer ?? { reference: `HealthcareService/${o.service ?? REF.serviceA}` }], reasonCode: [{ text: 'Isolated after a fall; would like a befriender' }],
          extension: [{ url: CONSENT_EXTENSION, extension: [{ url: 'given', valueBoolean: o.consent ?? true }, { url: 'share', valueCoding: { system: SHARE_SYSTEM, code: 'contact' } }] }],
        },
      },
      {
        fullUrl: 'urn:uuid:3a4f0c3e-0000-4000-8000-000000000003',
        resource: { resourceType: 'Patient', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: o.nhs ?? testNhsNumber(720) }] },
      },
    ],
  };
}

describe('$process-message: a referral sent in by another system (BaRS style)', () => {
  let t: TestPlatform;
  let as: Record<string, string>;
  const count = async () => Number((await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM resource WHERE resource_type IN ('ServiceRequest', 'Task')")).rows[0].n);
  const srOf = (body: { entry: { resource: { resourceType: string; id: string } }[] }) => body.entry.find((e) => e.resource.resourceType === 'ServiceRequest')!.resource.id;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedReferralWorld(t.platform);
    const s = await signIn(t.app, 'ref.link', REF_PASSWORD);
    as = { cookie: s.cookie, 'x-csrf-token': s.csrf, authorization: '' };
  });
  afterAll(() => t.close());

  it('makes the referral and answers with a response message; the same X-Request-Id again answers the same and writes nothing', async () => {
    const before = await count();
    const res = await fhir(t.app, 'POST', '$process-message', message(), { ...as, 'x-request-id': 'msg-0001' });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('message');
    const header = res.body.entry[0].resource;
    expect(header.response).toEqual({ identifier: '3a4f0c3e-0000-4000-8000-000000000001', code: 'ok' });
    const sr = res.body.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'ServiceRequest').resource;
    expect(sr.subject.reference).toBe(`Patient/${REF.other}`);
    expect(res.body.entry.some((e: { resource: { resourceType: string; owner?: { reference: string } } }) => e.resource.resourceType === 'Task' && e.resource.owner?.reference === `Organization/${REF.vcsA}`)).toBe(true);
    expect(await count()).toBe(before + 2);
    const again = await fhir(t.app, 'POST', '$process-message', message(), { ...as, 'x-request-id': 'msg-0001' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await count()).toBe(before + 2);
    // The same id for a different message is refused.
    expect((await fhir(t.app, 'POST', '$process-message', message({ service: REF.serviceB }), { ...as, 'x-request-id': 'msg-0001' })).status).toBe(409);
  });

  it('names the service by the id the directory\'s Open Referral API gives it, as a reference or as an identifier', async () => {
    const before = await count();
    const orukA = uuidFor(`HealthcareService/${REF.serviceA}`), orukB = uuidFor(`HealthcareService/${REF.serviceB}`);
    expect((await t.app.inject({ method: 'GET', url: `/openreferral/services/${orukA}` })).statusCode).toBe(200);
    const byRef = await fhir(t.app, 'POST', '$process-message', message({ performer: { reference: `HealthcareService/${orukA.toUpperCase()}` } }), { ...as, 'x-request-id': 'oruk-0001' });
    const byId = await fhir(t.app, 'POST', '$process-message', message({ performer: { identifier: { system: OPENREFERRAL_ID_SYSTEM, value: orukB } } }), { ...as, 'x-request-id': 'oruk-0002' });
    expect([byRef.status, byId.status], JSON.stringify([byRef.body, byId.body])).toEqual([200, 200]);
    const performerOf = async (body: Parameters<typeof srOf>[0]) => (await fhir(t.app, 'GET', `ServiceRequest/${srOf(body)}`, undefined, as)).body.performer[0].reference;
    expect(await performerOf(byRef.body)).toBe(`HealthcareService/${REF.serviceA}`);
    expect(await performerOf(byId.body)).toBe(`HealthcareService/${REF.serviceB}`);
    expect(await count()).toBe(before + 4);
    // Neither a reference to something else nor an identifier of another system names a service.
    for (const [performer, rid] of [[{ reference: `Organization/${REF.vcsA}` }, 'oruk-0003'], [{ identifier: { system: 'https://example.org/ids', value: orukA } }, 'oruk-0004']] as const) {
      const res = await fhir(t.app, 'POST', '$process-message', message({ performer }), { ...as, 'x-request-id': rid });
      expect(res.status).toBe(422);
      expect(res.body.issue[0].diagnostics).toMatch(/must name the service: HealthcareService\/\{id\}, or its Open Referral id/);
    }
    expect(await count()).toBe(before + 4);
  });

  it('bad input is a 4xx OperationOutcome and nothing is written', async () => {
    const before = await count();
    const cases: [unknown, Record<string, string>, number][] = [
      [message(), {}, 400], // no X-Request-Id
      [{ resourceType: 'Bundle', type: 'transaction', entry: [] }, { 'x-request-id': 'b1' }, 400],
      [{ resourceType: 'Patient' }, { 'x-request-id': 'b2' }, 400],
      [message({ event: 'servicerequest-update' }), { 'x-request-id': 'b3' }, 422],
      [message({ consent: false }), { 'x-request-id': 'b4' }, 422],
      [message({ service: REF.closed }), { 'x-request-id': 'b5' }, 422],
      [message({ nhs: testNhsNumber(990) }), { 'x-request-id': 'b6' }, 404],
    ];
    for (const [body, headers, status] of cases) {
      const res = await fhir(t.app, 'POST', '$process-message', body, { ...as, ...headers });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect(await count()).toBe(before);
  });

  it('the same message twice at once with one X-Request-Id makes one referral, and both get the same answer', async () => {
    const before = await count();
    const [a, b] = await Promise.all([1, 2].map(() => fhir(t.app, 'POST', '$process-message', message(), { ...as, 'x-request-id': 'twice-0001' })));
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).toEqual(b.body);
    expect(await count()).toBe(before + 2);
    const kept = await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM message_receipt WHERE request_id = 'twice-0001'");
    expect(Number(kept.rows[0].n)).toBe(1);
  });

  it('two different messages at once under one X-Request-Id: one referral, the other refused with a 409, never answered with a referral it did not make', async () => {
    const before = await count();
    const services = [REF.serviceA, REF.serviceB];
    const sent = services.map((service) => message({ service }));
    const answers = await Promise.all(sent.map((m) => fhir(t.app, 'POST', '$process-message', m, { ...as, 'x-request-id': 'twice-0002' })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await count()).toBe(before + 2);
    const ok = answers.findIndex((r) => r.status === 200);
    const sr = (await fhir(t.app, 'GET', `ServiceRequest/${srOf(answers[ok].body)}`, undefined, as)).body;
    // The referral answered is the one its own message asked for.
    expect(sr.performer[0].reference).toBe(`HealthcareService/${services[ok]}`);
    expect(answers[1 - ok].body.resourceType).toBe('OperationOutcome');
  });
});
