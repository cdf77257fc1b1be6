import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { writeOutcomesPopulation } from '../../src/outcomes/outcomes.fixtures.js';
import { CARE_PASSWORD } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// The Better Care Fund view in Debian's Chromium: an ICB analyst goes from the outcomes dashboard to
// Kent's 2014 plan against the record, sees the savings assumptions, a chart and table per metric,
// downloads the CSV; axe-clean, and at 320 px.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => new Date('2025-07-15T09:00:00Z');
  await writeOutcomesPopulation(t.platform, 2000);
  await t.platform.outcomes.bcf.refresh(); // as the demo's start does
  await createStaff(t.platform, 'analyst.bcf.e2e', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  ({ base, browser } = await serveToChromium(t));
}, 600_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('The Better Care Fund view in Chromium', () => {
  it('the analyst opens it from the dashboard: plan, savings, metrics with charts and tables, CSV', { timeout: 240_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, 'analyst.bcf.e2e');
    await page.goto(`${base}/outcomes`);
    await Promise.all([page.waitForURL(/\/outcomes\/bcf$/, { timeout: 60_000 }), page.click('a:has-text("Better Care Fund")')]);
    expect(await page.locator('h1').innerText()).toContain('Better Care Fund');
    const text = await page.locator('main').innerText();
    for (const s of ['£11.83 million', '5,128', '£1,490', 'Emergency admissions', 'Admissions to care homes', 'Delayed transfers of care', 'still at home 91 days']) expect(text).toContain(s);
    expect(await page.locator('main svg[role="img"]').count()).toBe(5);
    await expectAccessible(page);
    page.setDefaultTimeout(60_000); // a long page's full screenshot on a loaded machine
    await shot(page, 'better-care-fund', true);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Download every Better Care Fund figure")')]);
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('indicator,indicator_name,place');
    expect(csv).toContain('BCF.1');
    await page.close();
    const narrow = await newPage(browser, { width: 320, height: 800 });
    await signIn(narrow, base, 'analyst.bcf.e2e');
    await narrow.goto(`${base}/outcomes/bcf`);
    await expectAccessible(narrow);
    await narrow.close();
  });
});
