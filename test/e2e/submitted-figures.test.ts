import type { Resource } from '@medplum/fhirtypes';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { CARE_PASSWORD } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// Submitted figures in Debian's Chromium: Kent County Council's staff member opens pupil absence,
// follows the link to the form, makes one mistake (a numerator over its
// denominator), sees the error summary with the answers kept, corrects it and submits; then the ICB
// analyst sees the figure with who submitted it. Every page axe-clean.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  for (const o of [{ id: 'org-kcc', name: 'Kent County Council' }, { id: 'org-icb', name: 'NHS Kent and Medway Integrated Care Board' }]) {
    await t.platform.resources.update('Organization', o.id, { resourceType: 'Organization', ...o } as Resource);
  }
  await createStaff(t.platform, 'council.e2e', CARE_PASSWORD, [{ organizationId: 'org-kcc', role: 'social-worker' }]);
  await createStaff(t.platform, 'analyst.e2e', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  ({ base, browser } = await serveToChromium(t));
}, 300_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('Submitted figures in Chromium', () => {
  it('a council submits pupil absence (one error first, answers kept); the analyst then sees it', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    await signIn(page, base, 'council.e2e');
    await page.goto(`${base}/outcomes/O1.4`);
    await Promise.all([page.waitForURL(/\/outcomes\/O1\.4\/submit$/), page.click('a:has-text("Submit or correct a figure")')]);
    expect(await page.locator('main').innerText()).toContain('No figure submitted yet by Kent County Council and Medway Council (education)');
    await expectAccessible(page);

    await page.selectOption('#place', 'county:kent');
    await page.fill('#periodStart-day', '1');
    await page.fill('#periodStart-month', '9');
    await page.fill('#periodStart-year', '2024');
    await page.fill('#periodEnd-day', '31');
    await page.fill('#periodEnd-month', '8');
    await page.fill('#periodEnd-year', '2025');
    await page.fill('#numerator', '790000');
    await page.fill('#denominator', '100000');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Submit the figure")')]);
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('The numerator (790000) cannot be more than the denominator (100000)');
    expect(await page.inputValue('#numerator')).toBe('790000');
    expect(await page.inputValue('#periodEnd-year')).toBe('2025');
    expect(await page.locator('#place').inputValue()).toBe('county:kent');
    await expectAccessible(page);

    await page.fill('#numerator', '7900');
    await Promise.all([page.waitForURL(/\/outcomes\/O1\.4\/submit\?version=1$/), page.click('button:has-text("Submit the figure")')]);
    const done = await page.locator('main').innerText();
    expect(done).toContain('Figure submitted');
    expect(done).toContain('7.9% (7900 of 100000)');
    expect(done).toContain('council.e2e, Kent County Council');
    await expectAccessible(page);
    await shot(page, 'outcome-submit-figure', true);

    const analyst = await newPage(browser);
    await signIn(analyst, base, 'analyst.e2e');
    await analyst.goto(`${base}/outcomes/O1.4?place=county:kent`);
    const text = await analyst.locator('main').innerText();
    expect(text).toContain('7.9%');
    expect(text).toMatch(/Submitted by council\.e2e \(Kent County Council\) on \d+ \w+ 20\d\d/);
    await expectAccessible(analyst);
    await shot(analyst, 'outcome-submitted-figure', true);
  });
});
