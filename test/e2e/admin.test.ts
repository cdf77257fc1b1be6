import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// Administration in Chromium: an administrator creates an account, the person chooses their own
// password, and an API client is registered; every page (and a form with errors) passes axe-core,
// and the users page fits 320 CSS pixels.
let t: TestPlatform;
let browser: Browser;
let base: string;
const PW = 'correct-horse-battery';

beforeAll(async () => {
  t = await createTestPlatform();
  await createOrganization(t.platform, 'org-a', 'A1234', 'Alder Surgery');
  await createStaff(t.platform, 'sys.admin', PW, [{ organizationId: 'org-a', role: 'system-admin' }]);
  const passwordHash = (await t.platform.identity.users.findByUsername('sys.admin'))!.passwordHash;
  for (const [username, displayName, role] of [['amrit.gp', 'Dr Amrit Gill', 'gp'], ['beth.nurse', 'Beth Okafor', 'practice-nurse'], ['cal.reception', 'Cal Rees', 'receptionist']] as const) {
    await t.platform.identity.users.create({ kind: 'staff', username, displayName, passwordHash, memberships: [{ organizationId: 'org-a', role }] });
  }
  ({ base, browser } = await serveToChromium(t));
});
afterAll(() => closeChromiumAndServer(browser, t));

describe('administration in Chromium', () => {
  it('create an account, choose a password, register a client: every page accessible', async () => {
    const page = await newPage(browser);
    await signIn(page, base, 'sys.admin', PW);
    expect(new URL(page.url()).pathname).toBe('/admin/users');
    expect(await page.locator('h1').innerText()).toBe('Users');
    await expectAccessible(page);
    await shot(page, 'admin-users');

    await page.click('text=Create an account');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/\/admin\/users$/), page.click('button:has-text("Create account")')]);
    expect(await page.locator('.nhsuk-error-summary').count()).toBe(1);
    await expectAccessible(page);

    await page.fill('#username', 'dee.new');
    await page.fill('#displayName', 'Dee Newcombe');
    await page.fill('#organization', 'A1234');
    await page.selectOption('#role', 'community-nurse');
    await Promise.all([page.waitForURL(/done=created/), page.click('button:has-text("Create account")')]);
    expect(await page.locator('.nhsuk-notification-banner--success').innerText()).toContain('Account created');
    const temporary = await page.locator('.nhsuk-notification-banner code').innerText();
    await expectAccessible(page);

    const person = await newPage(browser);
    await signIn(person, base, 'dee.new', temporary);
    expect(new URL(person.url()).pathname).toBe('/choose-password');
    await expectAccessible(person);
    await person.fill('#password', 'a-password-of-my-own');
    await person.fill('#confirm', 'a-password-of-my-own');
    await Promise.all([person.waitForURL(/\/work$/), person.click('button:has-text("Save password")')]);

    await page.goto(`${base}/admin/users`);
    await page.click('text=Create an account for a resident or a carer');
    expect(await page.locator('h1').innerText()).toBe('Create an account for a resident or a carer');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/\/admin\/people$/), page.click('button:has-text("Create account")')]);
    expect(await page.locator('.nhsuk-error-summary li').count()).toBe(4);
    await expectAccessible(page);

    await page.click('a.nhsuk-header__navigation-link:has-text("API clients")');
    expect(await page.locator('h1').innerText()).toBe('API clients');
    await expectAccessible(page);
    await page.click('text=Register an API client');
    await page.fill('#name', 'Alder lab results feed');
    await page.fill('#organization', 'org-a');
    await page.fill('#scope', 'system/Patient.rs system/Observation.rs');
    await Promise.all([page.waitForURL(/done=registered/), page.click('button:has-text("Register client")')]);
    expect(await page.locator('.nhsuk-notification-banner code').innerText()).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await expectAccessible(page);
  });

  it('the users page fits 320 CSS pixels', async () => {
    const page = await newPage(browser, { width: 320, height: 800 });
    await signIn(page, base, 'sys.admin', PW);
    const fits = await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
    expect(fits, `scrollWidth ${String(await page.evaluate('document.documentElement.scrollWidth'))}`).toBe(true);
    await expectAccessible(page);
  });
});
