import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { writeOutcomesPopulation } from '../../src/outcomes/outcomes.fixtures.js';
import { CARE_PASSWORD } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// The outcomes dashboard in Debian's Chromium: an ICB analyst opens it, sees the six outcomes with
// their ratings, opens smoking at delivery (trend, map, districts), drills into a partnership,
// downloads the CSV; every page axe-clean, and the same pages work with JavaScript turned off.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await writeOutcomesPopulation(t.platform, 3000);
  await t.platform.outcomes.service.refresh([
    { start: '2024-04-01', end: '2024-06-30' }, { start: '2024-07-01', end: '2024-09-30' },
    { start: '2024-10-01', end: '2024-12-31' }, { start: '2025-01-01', end: '2025-03-31' },
  ]);
  await createStaff(t.platform, 'analyst.e2e', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  ({ base, browser } = await serveToChromium(t));
}, 600_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('Outcomes in Chromium', () => {
  it('the analyst opens the dashboard, sees the outcomes with ratings, opens O1.1 with trend, map and districts, drills down, downloads the CSV', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, 'analyst.e2e');
    await Promise.all([page.waitForURL(/\/outcomes$/), page.click('header nav a:has-text("Outcomes")')]);
    expect(await page.locator('h1').innerText()).toBe('Outcomes');
    const main = await page.locator('main').innerText();
    for (const o of ['Outcome 1', 'Outcome 2', 'Outcome 3', 'Outcome 4', 'Outcome 5', 'Outcome 6']) expect(main).toContain(o);
    expect(await page.locator('main .nhsuk-tag').count()).toBeGreaterThan(10);
    await expectAccessible(page);
    await shot(page, 'outcomes', true);

    await Promise.all([page.waitForURL(/\/outcomes\/O1\.1$/), page.click('a:has-text("O1.1 Mothers smoking at time of delivery")')]);
    expect(await page.locator('h1').innerText()).toContain('Mothers smoking at time of delivery');
    expect(await page.locator('svg[aria-labelledby="trend-title trend-desc"]').count()).toBe(1);
    expect(await page.locator('svg[aria-labelledby="map-title map-desc"] rect').count()).toBe(13);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Districts');
    expect(text).toContain('Swale');
    expect(text).toContain('OHID Fingertips');
    await expectAccessible(page);
    await shot(page, 'outcome-smoking-at-delivery', true);

    await Promise.all([page.waitForURL(/place=hcp%3AEK|place=hcp:EK/), page.click('a:has-text("East Kent partnership") >> nth=0')]);
    expect(await page.locator('main').innerText()).toContain('Within East Kent partnership');
    await expectAccessible(page);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Download every figure")')]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(path!, 'utf8');
    expect(csv.split('\n')[0]).toContain('indicator,indicator_name,place');
    expect(csv).toContain('O1.1');
    await page.close();
  });

  it('works without JavaScript, and at 320 px axe-clean', { timeout: 180_000 }, async () => {
    const off = await newPage(browser, undefined, { javaScriptEnabled: false });
    await signIn(off, base, 'analyst.e2e');
    await off.goto(`${base}/outcomes/O3.2`);
    expect(await off.locator('h1').innerText()).toContain('overweight or obese');
    expect(await off.locator('svg[aria-labelledby="map-title map-desc"]').count()).toBe(1);
    await off.close();
    const narrow = await newPage(browser, { width: 320, height: 800 });
    await signIn(narrow, base, 'analyst.e2e');
    await narrow.goto(`${base}/outcomes/O3.2`);
    await expectAccessible(narrow);
    await narrow.close();
  });
});
