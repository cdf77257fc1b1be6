import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT_DIR } from '../../src/paths.js';
import { CARE_PASSWORD } from '../../src/record-view/care.fixtures.js';
import type { TestPlatform } from '../../src/testing/test-platform.js';

/**
 * What the end-to-end tests share: Debian's Chromium (apt-get install chromium) driven by
 * playwright-core against a server on loopback, the axe-core check every page must pass, and
 * screenshots into docs/screenshots/.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT_DIR, 'docs', 'screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A test file's server listening on loopback, and Chromium to drive it; `base` is the server's address. */
export async function serveToChromium(t: TestPlatform): Promise<{ base: string; browser: Browser }> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  mkdirSync(SHOTS, { recursive: true });
  return { base: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, browser: await launchChromium() };
}

/** Closes what serveToChromium opened, and the test platform (either may be missing if set-up failed). */
export async function closeChromiumAndServer(browser: Browser | undefined, t: TestPlatform | undefined): Promise<void> {
  await browser?.close();
  await t?.close();
}

/** A fresh browser profile. CSP is bypassed only so that axe-core can be injected; the pages' own scripts are files. */
export async function newPage(browser: Browser, viewport: { width: number; height: number } = { width: 1280, height: 900 }, o: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ bypassCSP: true, viewport, locale: 'en-GB', javaScriptEnabled: o.javaScriptEnabled ?? true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

/** No axe-core violations (WCAG 2.2 A and AA, best practice), exactly one h1, and no heading level skipped. */
export async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(axe.source);
  // Strings, not functions, in page.evaluate: this file is type-checked without the DOM library.
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })`,
  )) as axe.AxeResults;
  const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')})`);
  expect(violations, `axe violations on ${page.url()}`).toEqual([]);
  const levels = await page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.map((h) => Number(h.tagName[1])));
  expect(levels.filter((l) => l === 1)).toHaveLength(1);
  for (let i = 1; i < levels.length; i++) expect(levels[i] - levels[i - 1], `heading levels ${levels.join(',')}`).toBeLessThanOrEqual(1);
}

export const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });

/** Signs in with the keyboard only: Tab to the fields, type, Enter. */
export async function signIn(page: Page, base: string, username: string, password = CARE_PASSWORD): Promise<void> {
  await page.goto(`${base}/`);
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  await page.locator('#username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/sign-in'), page.keyboard.press('Enter')]);
}

/**
 * Follows the header's menu link named `text` as a user would: where the menu is too long for the
 * width, NHS.UK's header folds the last items under "More", which is opened first.
 */
export async function openFromMenu(page: Page, text: string, url: RegExp): Promise<void> {
  const inBar = page.locator('.nhsuk-header__navigation-list > .nhsuk-header__navigation-item a', { hasText: text });
  if (!(await inBar.first().isVisible())) await page.click('.nhsuk-header__menu-toggle');
  await Promise.all([page.waitForURL(url), page.locator('.nhsuk-header__navigation a:visible', { hasText: text }).first().click()]);
}
