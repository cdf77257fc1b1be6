import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResident, createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { seedDemoFeedback } from '../../src/outcomes/feedback.demo.js';
import { writeOutcomesPopulation } from '../../src/outcomes/outcomes.fixtures.js';
import { CARE_PASSWORD } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// The 'I' statements in Debian's Chromium: a resident has "How are we doing?" in the portal menu,
// first sends it with an answer missing (the error summary, answers kept), then answers every
// statement and sees their answers back; an ICB analyst opens the figures from the outcomes
// dashboard. Every page axe-clean.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => new Date('2025-05-15T10:00:00Z');
  await writeOutcomesPopulation(t.platform, 1500);
  await t.platform.outcomes.feedback.publishQuestionnaires();
  await seedDemoFeedback(t.platform, t.platform.clock.now());
  const p = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'Patient' AND NOT deleted
    AND (content::jsonb->>'birthDate')::date < '1980-01-01' ORDER BY id LIMIT 1`);
  await createResident(t.platform, 'resident.fb.e2e', CARE_PASSWORD, p.rows[0].id);
  await createStaff(t.platform, 'analyst.fb.e2e', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  ({ base, browser } = await serveToChromium(t));
}, 600_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('The \'I\' statements in Chromium', () => {
  it('a resident answers the survey in the portal', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(60_000);
    await signIn(page, base, 'resident.fb.e2e');
    expect(await page.locator('header nav a[href="/my-feedback"]').count()).toBeGreaterThan(0);
    await page.goto(`${base}/my-feedback`);
    expect(await page.locator('h1').innerText()).toBe('How are we doing?');
    expect(await page.locator('main fieldset').count()).toBe(10);
    await expectAccessible(page);
    // Every statement but the last, then send: the error summary names the one left, the rest kept.
    const fieldsets = page.locator('main fieldset');
    for (let i = 0; i < 9; i++) await fieldsets.nth(i).locator('label:has-text("Yes")').click();
    await Promise.all([page.waitForURL(/\/my-feedback$/), page.click('button:has-text("Send my answers")')]);
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('I am listened to, involved in and enabled to make decisions');
    expect(await page.locator('#QL1').isChecked()).toBe(true);
    await expectAccessible(page);
    await fieldsets.nth(9).locator('label:has-text("Not sure")').click();
    await shot(page, 'i-statements-survey', true);
    await Promise.all([page.waitForURL(/\/my-feedback\?done=1$/), page.click('button:has-text("Send my answers")')]);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Thank you: your answers have been recorded');
    expect(text).toContain('Not sure');
    await expectAccessible(page);
    await page.close();
  });

  it('an analyst opens the figures from the outcomes dashboard', { timeout: 180_000 }, async () => {
    const page = await newPage(browser);
    page.setDefaultTimeout(60_000);
    await signIn(page, base, 'analyst.fb.e2e');
    await page.goto(`${base}/outcomes`);
    await Promise.all([page.waitForURL(/\/outcomes\/i-statements$/), page.click('a:has-text("The \'I\' statements")')]);
    const text = await page.locator('main').innerText();
    expect(text).toContain('January to March 2025');
    expect(text).toContain('Residents');
    expect(text).toContain('Staff');
    expect(await page.locator('main svg[role="img"]').count()).toBe(2);
    await expectAccessible(page);
    await shot(page, 'i-statements-figures', true);
    await page.close();
  });
});
