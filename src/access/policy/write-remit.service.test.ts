import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation, Patient } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import type { Principal } from '../principal.js';
import { WriteRemitService } from './write-remit.service.js';

/**
 * The write remit asks the database only about the people it must: a new Patient registered with the
 * writer's practice (no other person named) needs no query; every other person a write names is
 * checked against the writer's row restriction, on the real database.
 */
describe('WriteRemitService: which people it asks about', () => {
  let t: TestPlatform;
  const gp: Principal = {
    kind: 'staff', id: 'u-gp', displayName: 'GP', via: 'session', credentialId: 's1', role: 'gp', organizationId: 'wr-practice', organizationIds: ['wr-practice'],
  };
  let queries = 0;
  let counting: Queryable;

  beforeAll(async () => {
    t = await createTestPlatform();
    const { platform } = t;
    await platform.resources.update('Organization', 'wr-practice', { resourceType: 'Organization', id: 'wr-practice', name: 'Remit Surgery' });
    await platform.resources.update('Patient', 'wr-mine', { resourceType: 'Patient', id: 'wr-mine', generalPractitioner: [{ reference: 'Organization/wr-practice' }] });
    await platform.resources.update('Patient', 'wr-stranger', { resourceType: 'Patient', id: 'wr-stranger' });
    counting = {
      query: (sql: string, params?: unknown[], opts?: { prepare?: boolean }) => {
        queries++;
        return platform.db.query(sql, params, opts);
      },
    } as Queryable;
  });

  afterAll(async () => {
    await t?.close();
  });

  const check = async (type: string, resource: Patient | Observation) => {
    queries = 0;
    const d = await new WriteRemitService(counting).checkWrite(gp, 'create', type, new Date(), resource);
    return { ...d, queries };
  };

  it('registers a new Patient with the practice without asking the database', async () => {
    const d = await check('Patient', { resourceType: 'Patient', id: 'wr-new', generalPractitioner: [{ reference: 'Organization/wr-practice' }] });
    expect(d).toMatchObject({ allowed: true, queries: 0 });
  });

  it('asks about a person a new Patient links to, and refuses a hidden one as not found', async () => {
    const seen = await check('Patient', { resourceType: 'Patient', id: 'wr-new2', generalPractitioner: [{ reference: 'Organization/wr-practice' }], link: [{ type: 'seealso', other: { reference: 'Patient/wr-mine' } }] });
    expect(seen).toMatchObject({ allowed: true, queries: 1 });
    const hidden = await check('Patient', { resourceType: 'Patient', id: 'wr-new3', generalPractitioner: [{ reference: 'Organization/wr-practice' }], link: [{ type: 'seealso', other: { reference: 'Patient/wr-stranger' } }] });
    expect(hidden).toMatchObject({ allowed: false, notFound: true, queries: 1 });
  });

  it('checks the subject of a new entry: a person in their care yes, a stranger no (user B cannot write into A\'s record)', async () => {
    const obs = (subject: string): Observation => ({ resourceType: 'Observation', status: 'final', code: { text: 'Weight' }, subject: { reference: `Patient/${subject}` } });
    expect(await check('Observation', obs('wr-mine'))).toMatchObject({ allowed: true, queries: 1 });
    expect(await check('Observation', obs('wr-stranger'))).toMatchObject({ allowed: false, notFound: true });
    expect(await check('Observation', obs('wr-nobody'))).toMatchObject({ allowed: false, notFound: true });
  });
});
