import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, NHS } from '../../src/record-view/care.fixtures.js';
import { seedCareWorld } from '../../src/record-view/care.fixtures.js';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { ROOT_DIR } from '../../src/paths.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';

// The web app in Debian's Chromium (apt-get install chromium; .ci/run installs it), driven by
// playwright-core against the server listening on loopback. Every page is checked with axe-core
// (WCAG 2.2 A and AA rules) and must have no violations; screenshots go to docs/screenshots/.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT_DIR, 'docs', 'screenshots');

let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedCareWorld(t.platform);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A fresh browser profile. CSP is bypassed only so that axe-core can be injected; the pages' own scripts are files. */
async function newPage(): Promise<Page> {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(axe.source);
  // Strings, not functions, in page.evaluate: this file is type-checked without the DOM library.
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })`,
  )) as axe.AxeResults;
  const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')})`);
  expect(violations, `axe violations on ${page.url()}`).toEqual([]);
  // Proper headings: exactly one h1, and no level skipped going down.
  const levels = await page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.map((h) => Number(h.tagName[1])));
  expect(levels.filter((l) => l === 1)).toHaveLength(1);
  for (let i = 1; i < levels.length; i++) expect(levels[i] - levels[i - 1], `heading levels ${levels.join(',')}`).toBeLessThanOrEqual(1);
}

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });

/** Signs in with the keyboard only: Tab to the fields, type, Enter. */
async function signIn(page: Page, username: string): Promise<void> {
  await page.goto(`${base}/`);
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  await page.locator('#username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(CARE_PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/sign-in'), page.keyboard.press('Enter')]);
}

describe('web app in Chromium', () => {
  it('sign-in page: skip link first, keyboard sign-in, accessible', async () => {
    const page = await newPage();
    await page.goto(`${base}/sign-in`);
    await expectAccessible(page);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent.trim()')).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('maincontent');
    await page.fill('#username', CARE_USERS.nurse.username);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('.nhsuk-error-summary').isVisible()).toBe(true);
    await expectAccessible(page);
    await page.fill('#username', '');
    await shot(page, 'sign-in');
    await page.context().close();
  });

  it('a nurse signs in, finds a person by NHS number, opens the record and filters the timeline', async () => {
    const page = await newPage();
    await signIn(page, CARE_USERS.nurse.username);
    // Staff land on their work; "Find a person" is one click away.
    expect(new URL(page.url()).pathname).toBe('/work');
    await Promise.all([page.waitForURL(/\/people$/), page.click('nav a:has-text("Find a person")')]);
    await expect.poll(() => page.locator('.nhsuk-header__account').innerText()).toContain('Community nurse, Kent Community Nursing');
    await expectAccessible(page);

    // Formatted 3-3-4 and checked with Modulus 11 as it is typed.
    const input = page.locator('#nhs-number');
    await input.focus();
    await page.keyboard.type('9990000001');
    expect(await input.inputValue()).toBe('999 000 0001');
    await expect.poll(() => page.locator('#nhs-number-status').innerText()).toContain('not a valid NHS number');
    await input.fill('');
    await page.keyboard.type(NHS.hollis);
    expect(await input.inputValue()).toBe(`${NHS.hollis.slice(0, 3)} ${NHS.hollis.slice(3, 6)} ${NHS.hollis.slice(6)}`);
    await expect.poll(() => page.locator('#nhs-number-status').innerText()).toBe('This is a valid NHS number.');
    await shot(page, 'find-person');
    await Promise.all([page.waitForURL(/by=nhs/), page.keyboard.press('Enter')]);
    await expectAccessible(page);
    await shot(page, 'search-results');

    await Promise.all([page.waitForURL(/\/people\/pat-hollis$/), page.click('a[href="/people/pat-hollis"]')]);
    await expect.poll(() => page.locator('h1').innerText()).toBe('Margaret Hollis');
    for (const id of ['care-team', 'what-matters', 'problems', 'medicines', 'carers', 'care-plan', 'referrals', 'timeline']) {
      expect(await page.locator(`#${id}`).count(), id).toBe(1);
    }
    expect(await page.locator('#withheld-title').innerText()).toContain('Some information is withheld');
    expect(await page.locator('.onestory-timeline__item').count()).toBe(20);
    await expectAccessible(page);
    await shot(page, 'record', true);

    // Filter by organisation with the keyboard: choose in the select, submit.
    await page.selectOption('#organisation', CARE_ORGS.acute);
    await Promise.all([page.waitForURL(/organisation=/), page.click('button:has-text("Apply filters")')]);
    const recorders = await page.$$eval('.onestory-timeline__detail strong', (els) => els.map((e) => e.textContent));
    expect(recorders.length).toBe(5);
    expect(new Set(recorders)).toEqual(new Set(['Weald General Hospital']));
    await page.selectOption('#organisation', '');
    await page.selectOption('#kind', 'medication');
    await Promise.all([page.waitForURL(/kind=medication/), page.click('button:has-text("Apply filters")')]);
    expect(await page.locator('.onestory-timeline__title').allInnerTexts()).toEqual(expect.arrayContaining(['Medicine: Metformin 500mg tablets']));
    await expectAccessible(page);
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    await shot(page, 'timeline-filtered');

    // Paging: older entries follow the newest 20.
    await page.goto(`${base}/people/pat-hollis`);
    await Promise.all([page.waitForURL(/cursor=/), page.click('a:has-text("Older entries")')]);
    expect(await page.locator('.onestory-timeline__item').count()).toBeGreaterThan(0);
    await expectAccessible(page);

    // The record of a person who objects to sharing says so.
    await page.goto(`${base}/people/pat-penfold`);
    expect(await page.locator('.nhsuk-warning-callout').first().innerText()).toContain('Sharing is withheld');
    await expectAccessible(page);
    await shot(page, 'record-sharing-withheld');

    await Promise.all([page.waitForURL(/sign-in/), page.click('.nhsuk-header__account-button')]);
    await page.context().close();
  });

  it('break-glass: a discharge coordinator with no relationship gives a reason and a statement, then sees the record under an audited banner', async () => {
    const page = await newPage();
    await signIn(page, CARE_USERS.discharge.username);
    await page.fill('#nhs-number', NHS.hollis);
    await Promise.all([page.waitForURL(/by=nhs/), page.click('button:has-text("Search by NHS number")')]);
    expect(await page.locator('main').innerText()).toContain('no recorded care relationship');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/break-glass$/), page.click('a:has-text("Request emergency access")')]);
    await expectAccessible(page);
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('.nhsuk-error-summary').innerText()).toContain('Choose why you need access now');
    await expectAccessible(page);
    await page.check('input[value="patient-unable-to-consent"]');
    await page.fill('#text', 'Admitted confused overnight; need her medicines and carer details for a safe discharge');
    await shot(page, 'break-glass');
    await Promise.all([page.waitForURL(/\/people\/pat-hollis$/), page.click('button[type=submit]')]);
    expect(await page.locator('#break-glass-title').innerText()).toContain('Emergency access: this access is audited');
    expect(await page.locator('h1').innerText()).toBe('Margaret Hollis');
    await expectAccessible(page);
    await shot(page, 'break-glass-record');
    await page.context().close();
  });

  it('the privacy officer reviews the emergency access: sees who, why and the statement, records a note, and the list empties', async () => {
    await createStaff(t.platform, 'privacy.e2e', CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role: 'privacy-officer' }]);
    const page = await newPage();
    await signIn(page, 'privacy.e2e');
    expect(new URL(page.url()).pathname).toBe('/break-glass-review');
    const list = await page.locator('main').innerText();
    expect(list).toContain('Jo Marsh');
    expect(list).toContain('safe discharge');
    await expectAccessible(page);
    await shot(page, 'break-glass-review');
    await page.fill('#note-1', 'Checked with the ward manager: admitted overnight, access appropriate');
    await Promise.all([page.waitForURL(/break-glass-review$/), page.click('button:has-text("Mark as reviewed")')]);
    await expect.poll(() => page.locator('main').innerText()).toContain('There is no emergency access waiting for review');
    await expectAccessible(page);
    await page.context().close();
  });

  it('the resident signs in and sees their record, their care team and who has looked at it, with the break-glass reason', async () => {
    const page = await newPage();
    await signIn(page, CARE_USERS.resident.username);
    expect(new URL(page.url()).pathname).toBe('/my-record');
    expect(await page.locator('h1').innerText()).toContain('Your record');
    expect(await page.locator('main').innerText()).not.toContain('Third-party information');
    await expectAccessible(page);
    await shot(page, 'portal-record', true);
    await Promise.all([page.waitForURL(/my-care-team/), page.click('nav a:has-text("My care team")')]);
    expect(await page.locator('main').innerText()).toContain('07700 900101');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/my-access-log/), page.click('nav a:has-text("Who has looked at my record")')]);
    const log = await page.locator('main').innerText();
    expect(log).toContain('Weald General Hospital');
    expect(log).toContain('Emergency access');
    expect(log).toContain('safe discharge');
    expect(log).toContain('Kent Community Nursing');
    await expectAccessible(page);
    await shot(page, 'access-log');
    await page.context().close();
  });

  it('a carer with proxy access sees the person they care for, only as consent allows', async () => {
    const page = await newPage();
    await signIn(page, CARE_USERS.carer.username);
    expect(await page.locator('h1').innerText()).toContain("Margaret Hollis's record");
    const text = await page.locator('main').innerText();
    expect(text).toContain('Metformin');
    expect(text).not.toContain('Heart failure');
    expect(text).toContain('agreed to share with you');
    await expectAccessible(page);
    await shot(page, 'carer-record', true);
    await page.goto(`${base}/my-access-log`);
    await expectAccessible(page);
    await page.context().close();
  });
});
