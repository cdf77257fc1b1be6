import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PC_NOW, PC_USERS, seedProactiveCareWorld } from '../../src/proactive-care/proactive-care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, openFromMenu, serveToChromium, shot, signIn } from './e2e.helpers.js';

// Case finding and cohorts in Debian's Chromium on loopback: a GP opens case finding from the menu,
// sees the frail people at their practice with why each is on the list and a way to bring them to an
// MDT meeting, opens one person's record with their frailty, and builds a cohort. Every page is
// checked with axe-core; screenshots go to docs/screenshots/.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => PC_NOW;
  await seedProactiveCareWorld(t.platform);
  await t.platform.proactiveCare.frailty.computeAll();
  ({ base, browser } = await serveToChromium(t));
}, 180_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('Case finding in Chromium', () => {
  it('a GP opens case finding, sees people with why they qualify, opens a record with its frailty, and counts a cohort', { timeout: 300_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, PC_USERS.gp1);
    await openFromMenu(page, 'Case finding', /\/case-finding$/);
    expect(await page.locator('h1').innerText()).toBe('Case finding: frailty');
    const main = await page.locator('main').innerText();
    expect(main).toContain('Person-p1-cf-a');
    expect(main).toContain('Severe frailty: eFI 0.39 (14 of 36 deficits)');
    expect(main).toContain('2 emergency admissions in the last 12 months');
    expect(main).toContain('No active care plan');
    expect(main).not.toContain('Person-p1-planned');
    expect(await page.locator('a[href="/mdt/add?patient=p1-cf-a"]').count()).toBe(1);
    await expectAccessible(page);
    await shot(page, 'case-finding', true);

    await Promise.all([page.waitForURL(/scope=pcn/), page.click('a:has-text("Primary care network: Riverside Primary Care Network")')]);
    expect(await page.locator('main').innerText()).toContain('5 more people match whom you may not see by name');
    await expectAccessible(page);

    await Promise.all([page.waitForURL(/\/people\/p1-cf-a$/), page.click('a:has-text("Person-p1-cf-a")')]);
    const record = await page.locator('section[aria-labelledby="frailty-heading"]').innerText();
    expect(record).toContain('Severe frailty');
    expect(record).toContain('14 of 36 deficits');
    await expectAccessible(page);

    await page.goto(`${base}/cohorts`);
    await page.fill('#age', '65-');
    await page.check('input[name="efi"][value="moderate"]');
    await page.check('input[name="efi"][value="severe"]');
    await page.check('input[name="care-plan"][value="none"]');
    await Promise.all([page.waitForURL(/\/cohorts\?/), page.click('button:has-text("Count")')]);
    const result = await page.locator('main').innerText();
    expect(result).toContain('People left after each criterion');
    expect(result).toContain('Person-p1-cf-a');
    await expectAccessible(page);
    await shot(page, 'cohorts', true);

    // A criterion that does not parse: the error summary, the answer kept.
    await page.goto(`${base}/cohorts?age=sixty`);
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('is not an age range');
    expect(await page.inputValue('#age')).toBe('sixty');
    await expectAccessible(page);
  });
});
