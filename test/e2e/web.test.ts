import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, NHS } from '../../src/record-view/care.fixtures.js';
import { seedCareWorld } from '../../src/record-view/care.fixtures.js';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, openFromMenu, serveToChromium, shot, signIn } from './e2e.helpers.js';

// The web app in Debian's Chromium (apt-get install chromium; .ci/run installs it), driven by
// playwright-core against the server listening on loopback. Every page is checked with axe-core
// (WCAG 2.2 A and AA rules) and must have no violations; screenshots go to docs/screenshots/.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedCareWorld(t.platform);
  ({ base, browser } = await serveToChromium(t));
});
afterAll(() => closeChromiumAndServer(browser, t));

describe('web app in Chromium', () => {
  it('sign-in page: skip link first, keyboard sign-in, accessible', async () => {
    const page = await newPage(browser);
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
    const page = await newPage(browser);
    await signIn(page, base, CARE_USERS.nurse.username);
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
    const page = await newPage(browser);
    await signIn(page, base, CARE_USERS.discharge.username);
    expect(new URL(page.url()).pathname).toBe('/work');
    await Promise.all([page.waitForURL(/\/people$/), page.click('nav a:has-text("Find a person")')]);
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
    const page = await newPage(browser);
    await signIn(page, base, 'privacy.e2e');
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
    const page = await newPage(browser);
    await signIn(page, base, CARE_USERS.resident.username);
    expect(new URL(page.url()).pathname).toBe('/my-record');
    expect(await page.locator('h1').innerText()).toContain('Your record');
    expect(await page.locator('main').innerText()).not.toContain('Third-party information');
    await expectAccessible(page);
    await shot(page, 'portal-record', true);
    await openFromMenu(page, 'My care team', /my-care-team/);
    expect(await page.locator('main').innerText()).toContain('07700 900101');
    await expectAccessible(page);
    // The portal's menu has grown: where it is too long for the width, the header folds the last items under "More".
    await openFromMenu(page, 'Who has looked at my record', /my-access-log/);
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
    const page = await newPage(browser);
    await signIn(page, base, CARE_USERS.carer.username);
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
