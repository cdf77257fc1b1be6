import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, seedCareWorld } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

describe('My people: a caseload to find one’s own people without an NHS number', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedCareWorld(t.platform);
    // 30 more people registered at the GP practice, so its list pages.
    for (let i = 0; i < 30; i++) {
      await t.platform.resources.update('Patient', `pat-extra-${i}`, {
        resourceType: 'Patient', id: `pat-extra-${i}`, name: [{ family: `Zed${String(i).padStart(2, '0')}`, given: ['Test'] }],
        generalPractitioner: [{ reference: `Organization/${CARE_ORGS.gp}` }], birthDate: '1950-01-01',
      });
    }
  });
  afterAll(() => t.close());

  it('lists the people the nurse and her trust care for, not anyone else, linked to their records', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const page = await b.get('/caseload');
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/people/pat-hollis"');
    expect(page.body).toContain('Margaret Hollis');
    expect(page.body).not.toContain('pat-baxter');
    expect(page.body).not.toContain('Zed00');
    expect(page.body).toContain('aria-current="page"');
  });

  it('pages a practice’s registered list by family name, each person once; a forged cursor is a clear 400', async () => {
    await createStaff(t.platform, 'gp.caseload', CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role: 'gp' }]);
    const b = new Browser(t);
    await b.signIn('gp.caseload');
    const seen: string[] = [];
    let url: string | undefined = '/caseload';
    for (let pages = 0; url && pages < 10; pages++) {
      const res = await b.get(url);
      expect(res.status).toBe(200);
      seen.push(...[...res.body.matchAll(/href="\/people\/([^"]+)"/g)].map((m) => m[1]));
      const next = /href="(\/caseload\?cursor=[^"]+)"/.exec(res.body)?.[1];
      url = next?.replaceAll('&amp;', '&');
    }
    const extras = seen.filter((id) => id.startsWith('pat-extra-'));
    expect(extras).toHaveLength(30);
    expect(new Set(seen).size).toBe(seen.length);
    // Family names in order: Zed00 … Zed29.
    expect(extras).toEqual([...extras].sort((a, b2) => Number(a.slice(10)) - Number(b2.slice(10))));
    expect((await b.get('/caseload?cursor=not-a-cursor')).status).toBe(400);
  });

  it('a role that sees no one\'s record is neither offered My people and Find a person nor shown them empty; residents are sent to the portal', async () => {
    await createStaff(t.platform, 'analyst.caseload', CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role: 'icb-analyst' }]);
    const a = new Browser(t);
    await a.signIn('analyst.caseload');
    for (const path of ['/caseload', '/people', '/people?by=nhs&nhs-number=9990000018']) {
      const res = await a.get(path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toContain('Your role does not see people’s records, so no one can be listed or found here.');
      expect(res.body, path).not.toContain('href="/caseload"');
      expect(res.body, path).not.toContain('href="/people"');
    }
    // Staff who see people are still offered both.
    const nurse = new Browser(t);
    await nurse.signIn(CARE_USERS.nurse.username);
    const mine = await nurse.get('/caseload');
    expect(mine.body).toContain('href="/people"');
    expect(mine.body).toContain('href="/caseload"');
    const r = new Browser(t);
    await r.signIn(CARE_USERS.resident.username);
    expect((await r.get('/caseload')).headers.location).toBe('/my-record');
  });
});
