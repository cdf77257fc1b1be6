import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/access/audit/audit.service.js';
import type { StaffPrincipal } from '../../src/access/principal.js';
import { CARE_ORGS, CARE_USERS, seedCareWorld } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, signIn } from './e2e.helpers.js';

// "Who has looked at my record" for a resident whose record was looked at 1,000 times, once under
// emergency access with a 20,000-character statement: the page never scrolls sideways, at a desktop
// width or at 320 CSS pixels (WCAG 2.2 reflow), and axe-core finds nothing.
let t: TestPlatform;
let browser: Browser;
let base: string;
const STATEMENT = `Emergency:${'x'.repeat(19_990)}`;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedCareWorld(t.platform);
  const audit = new AuditService(t.platform.db);
  const patientIds = [CARE_USERS.resident.patientId];
  const staff = (role: StaffPrincipal['role'], organizationId: string, n: number): StaffPrincipal => ({
    kind: 'staff', id: `u-${role}-${n}`, displayName: `Staff ${n}`, via: 'session', credentialId: `s-${n}`, role, organizationId, organizationIds: [organizationId],
  });
  const people = [staff('gp', CARE_ORGS.gp, 1), staff('community-nurse', CARE_ORGS.community, 2), staff('social-worker', CARE_ORGS.council, 3)];
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    const when = new Date(Date.UTC(2024, 0, 1) + i * 20 * 60_000).toISOString();
    writes.push(audit.record({ interaction: 'read', principal: people[i % 3], resources: [{ type: 'Observation', id: `o${i}` }], patientIds, when }));
  }
  const discharge = staff('discharge-coordinator', CARE_ORGS.acute, 4);
  writes.push(audit.record({ interaction: 'break-glass', principal: discharge, resourceType: 'Patient', patientIds, when: '2024-02-01T10:00:00.000Z', reason: { code: 'direct-care', text: STATEMENT } }));
  await Promise.all(writes);
  ({ base, browser } = await serveToChromium(t));
});
afterAll(() => closeChromiumAndServer(browser, t));

describe('the access log in Chromium', () => {
  for (const width of [1280, 320]) {
    it(`fits ${width} px wide with a 20,000-character statement, and is accessible`, async () => {
      const page = await newPage(browser, { width, height: 900 });
      await signIn(page, base, CARE_USERS.resident.username);
      await page.goto(`${base}/my-access-log`);
      expect(await page.locator('h1').innerText()).toBe('Who has looked at your record');
      const rows = await page.locator('tbody tr').count();
      expect(rows).toBeGreaterThan(0);
      expect(rows).toBeLessThanOrEqual(20);
      // Page by page to the statement (the newest rows are the resident's own visits and the staff's reads).
      for (let i = 0; i < 60 && !(await page.locator('.onestory-access-log__statement').count()); i++) {
        await Promise.all([page.waitForURL(/cursor=/), page.click('a.nhsuk-pagination__next')]);
      }
      expect(await page.locator('.onestory-access-log__statement').innerText()).toBe(STATEMENT);
      const fits = await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
      expect(fits, `scrollWidth ${String(await page.evaluate('document.documentElement.scrollWidth'))} at ${width} px`).toBe(true);
      await expectAccessible(page);
      await page.context().close();
    });
  }
});
