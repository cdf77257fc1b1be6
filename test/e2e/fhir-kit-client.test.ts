import type { AddressInfo } from 'node:net';
import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';

// The third-party client fhir-kit-client against the server listening on loopback.
let t: TestPlatform;
let client: InstanceType<typeof Client>;
beforeAll(async () => {
  t = await createTestPlatform();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  // A system integration's token from the server's own token endpoint, as a partner system would hold.
  client = new Client({ baseUrl: `${origin}/fhir/R4`, bearerToken: (await t.authorizationAt(origin)).replace(/^Bearer /, '') });
});
afterAll(async () => t?.close());

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';

describe('fhir-kit-client', () => {
  it('reads the CapabilityStatement', async () => {
    const cs: any = await client.capabilityStatement();
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toMatch(/^4\.0/);
  });

  it('creates, reads, updates, searches and deletes', async () => {
    const created: any = await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', identifier: [{ system: NHS, value: '9990000018' }], name: [{ family: 'Kitclient', given: ['Fen'] }], gender: 'male' },
    });
    expect(created.id).toBeTruthy();
    expect(created.meta.versionId).toBe('1');

    const read: any = await client.read({ resourceType: 'Patient', id: created.id });
    expect(read.name[0].family).toBe('Kitclient');

    const updated: any = await client.update({ resourceType: 'Patient', id: created.id, body: { ...read, birthDate: '1971-07-07' } });
    expect(updated.meta.versionId).toBe('2');
    const v1: any = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
    expect(v1.birthDate).toBeUndefined();

    const patched: any = await client.patch({ resourceType: 'Patient', id: created.id, jsonPatch: [{ op: 'add', path: '/active', value: true }] });
    expect(patched.active).toBe(true);

    const bundle: any = await client.search({ resourceType: 'Patient', searchParams: { identifier: `${NHS}|9990000018` } });
    expect(bundle.type).toBe('searchset');
    expect(bundle.entry.map((e: any) => e.resource.id)).toContain(created.id);
    const byName: any = await client.search({ resourceType: 'Patient', searchParams: { family: 'Kitclient', _count: 1 } });
    expect(byName.entry).toHaveLength(1);
    const posted: any = await client.search({ resourceType: 'Patient', searchParams: { family: 'Kitclient' }, options: { postSearch: true } });
    expect(posted.entry.map((e: any) => e.resource.id)).toContain(created.id);

    const history: any = await client.history({ resourceType: 'Patient', id: created.id });
    expect(history.type).toBe('history');
    expect(history.entry.length).toBe(3);

    await client.delete({ resourceType: 'Patient', id: created.id });
    await expect(client.read({ resourceType: 'Patient', id: created.id })).rejects.toMatchObject({ response: { status: 410 } });
  });

  it('pages through search results with nextPage', async () => {
    for (let i = 0; i < 5; i++) {
      await client.create({ resourceType: 'Organization', body: { resourceType: 'Organization', name: `Kit Paging Org ${i}` } });
    }
    let page: any = await client.search({ resourceType: 'Organization', searchParams: { name: 'Kit Paging', _count: 2 } });
    const names: string[] = [];
    while (page) {
      names.push(...(page.entry ?? []).map((e: any) => e.resource.name));
      page = await client.nextPage({ bundle: page });
    }
    expect(names.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `Kit Paging Org ${i}`));
  });

  it('posts a transaction with urn:uuid references', async () => {
    const urn = 'urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const res: any = await client.transaction({
      body: {
        resourceType: 'Bundle', type: 'transaction', entry: [
          { fullUrl: urn, resource: { resourceType: 'Patient', name: [{ family: 'Kittransaction' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'Temperature' }, subject: { reference: urn }, valueQuantity: { value: 37.1, unit: 'Cel' } },
            request: { method: 'POST', url: 'Observation' } },
        ],
      },
    });
    expect(res.type).toBe('transaction-response');
    expect(res.entry.map((e: any) => e.response.status.slice(0, 3))).toEqual(['201', '201']);
    const patientRef = res.entry[0].response.location.split('/_history')[0];
    const obs: any = await client.search({ resourceType: 'Observation', searchParams: { subject: patientRef } });
    expect(obs.entry).toHaveLength(1);
    expect(obs.entry[0].resource.subject.reference).toBe(patientRef);

    const batch: any = await client.batch({
      body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: patientRef } }, { request: { method: 'GET', url: 'Patient/nope' } }] },
    });
    expect(batch.entry.map((e: any) => e.response.status.slice(0, 3))).toEqual(['200', '404']);
  });

  it('receives an OperationOutcome for an invalid resource', async () => {
    const err: any = await client
      .create({ resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: 'not a date' } })
      .catch((e: unknown) => e);
    expect(err.response.status).toBe(400);
    expect(err.response.data.resourceType).toBe('OperationOutcome');
  });
});
