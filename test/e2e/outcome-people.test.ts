import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AL_NOW, AL_USERS, seedActionableListWorld } from '../../src/outcomes/actionable-list.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// From a number to the people behind it, in Debian's Chromium: a GP opens Outcomes from the menu,
// then smoking at delivery, then the list of the mothers at their own practice who smoked at delivery
// and have no stop-smoking referral; an ICB analyst asking for the same list is refused, and told why.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedActionableListWorld(t.platform);
  t.platform.clock.now = () => AL_NOW;
  ({ base, browser } = await serveToChromium(t));
}, 300_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('The people behind an indicator in Chromium', () => {
  it('a GP opens the list behind smoking at delivery for their own practice', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, AL_USERS.gp1);
    // A GP's menu is long (the header folds the end of it under "More"): the link is there; go to it.
    expect(await page.locator('header nav a[href="/outcomes"]').count()).toBeGreaterThan(0);
    await page.goto(`${base}/outcomes`);
    expect(await page.locator('h1').innerText()).toContain('the people behind the indicators');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/\/outcomes\/O1\.1$/), page.click('a:has-text("O1.1 Mothers smoking at time of delivery")')]);
    expect(await page.locator('h1').innerText()).toContain('Mothers smoking at time of delivery');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/\/outcomes\/O1\.1\/people$/), page.click('a:has-text("See your patients")')]);
    expect(await page.locator('h1').innerText()).toContain('Mothers smoking at delivery with no stop-smoking referral');
    const main = await page.locator('main').innerText();
    expect(main).toContain('People at Orchard Surgery (3)');
    expect(await page.locator('main table tbody tr').count()).toBe(3);
    expect(main).toContain('Mother-o1-smoker-a');
    expect(main).not.toContain('Mother-o2-smoker');
    expect(main).toContain('Fewer than 5 more people match');
    await expectAccessible(page);
    await shot(page, 'outcome-people-smoking', true);
    await Promise.all([page.waitForURL(/scope=pcn/), page.click('a:has-text("Primary care network: Orchard Primary Care Network")')]);
    expect(await page.locator('main').innerText()).not.toContain('Mother-o2-smoker');
    await page.close();
  });

  it('an ICB analyst asking for the list is refused with a page that says why', { timeout: 120_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, AL_USERS.analyst);
    const res = await page.goto(`${base}/outcomes/O1.1/people`);
    expect(res?.status()).toBe(403);
    expect(await page.locator('main').innerText()).toContain('ICB analysts see aggregate figures only');
    await expectAccessible(page);
    await page.close();
  });
});
