import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../src/access/identity/identity.test-helpers.js';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, seedCareWorld } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { seedWork } from '../../src/workflow/work.fixtures.js';
import { closeChromiumAndServer, serveToChromium } from './e2e.helpers.js';

// Every page at 320 CSS pixels wide (WCAG 2.2 reflow, 1.4.10): nothing scrolls sideways, and no
// page asks for anything its own CSP refuses (the console stays free of errors). Its pages keep their
// CSP (no bypass, unlike the axe checks), so a refused font or script shows as an error here.
const WIDTH = 320;

let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedCareWorld(t.platform);
  await seedWork(t.platform, t.platform.clock.now());
  await createStaff(t.platform, 'privacy.small', CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role: 'privacy-officer' }]);
  ({ base, browser } = await serveToChromium(t));
});
afterAll(() => closeChromiumAndServer(browser, t));

async function visit(username: string | undefined, paths: string[]): Promise<void> {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 }, locale: 'en-GB' });
  const page: Page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (m) => {
    // A page that answers 404 by design (a person not shown to this user) is not an error of the page.
    const ownStatus = m.location().url === page.url() && /status of 4\d\d/.test(m.text());
    if (m.type() === 'error' && !ownStatus) errors.push(`${page.url()}: ${m.text()}`);
  });
  if (username) {
    await page.goto(`${base}/sign-in`);
    await page.fill('#username', username);
    await page.fill('#password', CARE_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/sign-in'), page.click('button[type=submit]')]);
  }
  for (const path of paths) {
    await page.goto(`${base}${path}`);
    const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
    expect(width, `${path} is ${width}px wide at ${WIDTH}px`).toBeLessThanOrEqual(WIDTH);
  }
  expect(errors).toEqual([]);
  await context.close();
}

describe(`every page at ${WIDTH}px`, () => {
  it('sign-in', { timeout: 120_000 }, async () => {
    await visit(undefined, ['/sign-in']);
  });

  it('the workspace: my work, a task, find a person, a record, the timeline, break-glass', { timeout: 180_000 }, async () => {
    await visit(CARE_USERS.nurse.username, ['/work', '/caseload', '/work/tasks/t-mine', '/people', '/people?by=name&name=Hollis&day=14&month=5&year=1941', '/people/pat-hollis', '/people/pat-hollis?kind=task', '/people/pat-baxter', '/people/pat-baxter/break-glass']);
  });

  it('the privacy officer’s review', { timeout: 120_000 }, async () => {
    await visit('privacy.small', ['/break-glass-review']);
  });

  it('the portal: the resident’s record, care team and access log; the carer’s view', { timeout: 180_000 }, async () => {
    await visit(CARE_USERS.resident.username, ['/my-record', '/my-care-team', '/my-access-log']);
    await visit(CARE_USERS.carer.username, ['/my-record', '/my-care-team']);
  });
});
