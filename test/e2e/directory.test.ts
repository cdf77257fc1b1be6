import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { loadDirectoryFixture } from '../../src/directory/directory.fixtures.js';
import { CARE_PASSWORD } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// The service directory in Debian's Chromium on loopback: a resident, not signed in, finds help near
// their postcode from the sign-in page; a link worker searches for a befriending service open at
// weekends within 5 km, opens it and builds a shortlist. Every page checked with axe-core.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  await loadDirectoryFixture(t.platform);
  await createStaff(t.platform, 'linkworker.e2e', CARE_PASSWORD, [{ organizationId: 'org-medway-council', role: 'link-worker' }]);
  ({ base, browser } = await serveToChromium(t));
}, 120_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('the service directory in Chromium', () => {
  it('a resident, not signed in, finds help near them from the sign-in page, phone numbers first', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    await page.goto(`${base}/sign-in`);
    await Promise.all([page.waitForURL(/\/services$/), page.click('a:has-text("find help near me")')]);
    expect(await page.locator('h1').innerText()).toBe('Find help near me');
    await expectAccessible(page);
    await page.fill('#what', 'lonely');
    await page.fill('#postcode', 'ME7 1AB');
    await page.selectOption('#distance', '5');
    await Promise.all([page.waitForURL(/postcode=/), page.click('button:has-text("Search")')]);
    const main = await page.locator('main').innerText();
    expect(main).toContain('Saturday befriending club, Medway');
    expect(main).toMatch(/01632 960\d{3}/);
    await expectAccessible(page);
    await shot(page, 'find-help', true);
    await page.fill('#postcode', 'SW1A 1AA');
    await page.click('button:has-text("Search")');
    await expect.poll(() => page.locator('.nhsuk-error-summary').innerText()).toContain('outside the area we cover');
    await expectAccessible(page);
    await page.context().close();
  });

  it('a link worker finds a befriending service open at weekends within 5 km, opens it and shortlists it', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, 'linkworker.e2e');
    await page.goto(`${base}/services`);
    expect(await page.locator('h1').innerText()).toBe('Find a service');
    await page.selectOption('#kind', 'befriending');
    await page.fill('#postcode', 'ME7');
    await page.selectOption('#distance', '5');
    await page.check('input[name="when"][value="weekends"]');
    await Promise.all([page.waitForURL(/kind=befriending/), page.click('button:has-text("Search")')]);
    expect(await page.locator('main').innerText()).toContain('Saturday befriending club, Medway');
    expect(await page.locator('svg.onestory-map').count()).toBe(1);
    await expectAccessible(page);
    await shot(page, 'service-search', true);
    await Promise.all([page.waitForURL(/shortlist=/), page.click('a:has-text("Add to shortlist") >> nth=0')]);
    await Promise.all([page.waitForURL(/\/services\/hs-/), page.click('a:has-text("Saturday befriending club, Medway")')]);
    const service = await page.locator('main').innerText();
    expect(service).toContain('Saturday: 10am to 3pm');
    expect(await page.locator('a:has-text("Refer someone")').getAttribute('href')).toBe('/referrals/new?service=hs-dir-befriend-medway');
    await expectAccessible(page);
    await shot(page, 'service-page', true);
    await page.goto(`${base}/services/shortlist?ids=hs-dir-befriend-medway,hs-dir-housing-medway`);
    await page.check('input[name="channel"][value="sms"]');
    await page.fill('#to', '07700 900123');
    await Promise.all([page.waitForURL(/sent=sms/), page.click('button:has-text("Send the list")')]);
    expect(await page.locator('.nhsuk-notification-banner').innerText()).toContain('sent by text message');
    await expectAccessible(page);
    await page.context().close();
  });
});
