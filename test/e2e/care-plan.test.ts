import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_USERS, seedPlanWorld } from '../../src/care-planning/care-planning.fixtures.js';
import { CARE_USERS } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// Joined-up care planning in Debian's Chromium, as new users would try it: the GP arranges an MDT
// meeting and adds Margaret to it from her record (the same /mdt/add link case finding gives); the
// meeting gives actions to her social worker and to a voluntary organisation; her care coordinator
// writes the plan with her goals; Margaret changes what matters to her, rates her confidence and
// agrees the plan; her carer sees it. Every page is checked with axe-core; screenshots go to docs/screenshots/.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedPlanWorld(t.platform);
  ({ base, browser } = await serveToChromium(t));
}, 120_000);
afterAll(() => closeChromiumAndServer(browser, t));

const inDays = (n: number) => {
  const d = new Date(Date.now() + n * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
};

describe('care planning in Chromium', () => {
  it('MDT meeting → actions → plan → the person agrees → the carer sees it', { timeout: 300_000 }, async () => {
    // The GP arranges a meeting with the council and the carers' organisation.
    const page = await newPage(browser);
    await signIn(page, base, PLAN_USERS.gp.username);
    // (The header's menu folds items into "More" at this width: go by address.)
    await page.goto(`${base}/mdt`);
    await expectAccessible(page);
    const when = inDays(3);
    await page.fill('#title', 'Riverside neighbourhood MDT');
    await page.fill('#date-day', when.day);
    await page.fill('#date-month', when.month);
    await page.fill('#date-year', when.year);
    await page.fill('#time', '13:00');
    // The list is long: typing narrows it, and what is ticked stays in view.
    const items = page.locator('.nhsuk-checkboxes__item');
    const total = await items.count();
    await page.fill('#organisations-filter', 'maidstone');
    await page.check('label:has-text("Adult Social Care, Maidstone")');
    await page.fill('#organisations-filter', 'carers');
    await page.press('#organisations-filter', 'Enter');
    expect(new URL(page.url()).pathname).toBe('/mdt');
    expect(await page.locator('#organisations-filter-status').innerText()).toMatch(new RegExp(`^\\d+ of ${total} shown$`));
    expect(await page.isVisible('label:has-text("Adult Social Care, Maidstone")')).toBe(true);
    expect(await items.filter({ hasText: 'Weald General Hospital' }).isVisible()).toBe(false);
    await page.check('label:has-text("Carers\' Support Maidstone")');
    await expectAccessible(page);
    await Promise.all([page.waitForURL(/done=arranged/), page.click('button:has-text("Arrange the meeting")')]);
    expect(await page.locator('h1').innerText()).toBe('Riverside neighbourhood MDT');

    // From Margaret's record: "Add to an MDT meeting" (case finding links to the same page).
    await page.goto(`${base}/people/pat-hollis`);
    await Promise.all([page.waitForURL(/\/mdt\/add\?patient=pat-hollis/), page.click('a:has-text("Add to an MDT meeting")')]);
    await expectAccessible(page);
    await page.check('label:has-text("Riverside neighbourhood MDT")');
    await Promise.all([page.waitForURL(/done=added/), page.click('button:has-text("Add to the meeting")')]);
    const item = (await page.locator('form[action*="/actions"]').first().getAttribute('action'))!.split('/')[4];

    // An action without an owner or a date: the error summary names both, nothing is written.
    await page.fill(`#discussion-${item}`, 'Two falls this month. Peter, her son and carer, is finding it hard.');
    await Promise.all([page.waitForURL(/done=discussion/), page.click('button:has-text("Save the discussion")')]);
    await page.fill(`#what-${item}`, 'Review the care and support package');
    await page.click('button:has-text("Give the action")');
    await expect.poll(() => page.locator('.nhsuk-error-summary').innerText()).toContain('Choose who owns the action');
    expect(await page.locator('.nhsuk-error-summary').innerText()).toContain('Enter the date the action is due by');
    await expectAccessible(page);
    const due = inDays(10);
    await page.selectOption(`#owner-${item}`, { label: 'Tom Reilly' });
    await page.fill(`#due-${item}-day`, due.day);
    await page.fill(`#due-${item}-month`, due.month);
    await page.fill(`#due-${item}-year`, due.year);
    await Promise.all([page.waitForURL(/done=action/), page.click('button:has-text("Give the action")')]);
    await page.fill(`#what-${item}`, "Carer's assessment and a break for Peter");
    await page.selectOption(`#owner-${item}`, { label: "Carers' Support Maidstone" });
    await page.fill(`#due-${item}-day`, due.day);
    await page.fill(`#due-${item}-month`, due.month);
    await page.fill(`#due-${item}-year`, due.year);
    await Promise.all([page.waitForURL(/done=action/), page.click('button:has-text("Give the action")')]);
    const meeting = await page.locator('main').innerText();
    expect(meeting).toContain('Tom Reilly');
    expect(meeting).toContain("Carers' Support Maidstone");
    await expectAccessible(page);
    await shot(page, 'mdt-meeting', true);
    await page.context().close();

    // The care coordinator writes the plan with Margaret's goals.
    const cc = await newPage(browser);
    await signIn(cc, base, PLAN_USERS.coordinator.username);
    await cc.goto(`${base}/people/pat-hollis/plan`);
    await expectAccessible(cc);
    await cc.fill('#title', 'Staying well at home');
    await Promise.all([cc.waitForURL(/done=started/), cc.click('button:has-text("Start a plan")')]);
    await cc.click('summary:has-text("Change the plan\'s sections")');
    await cc.fill('#about-me', 'I taught at the village school for thirty years. I live with my cat, Biscuit.');
    await cc.fill('#what-matters', 'Staying in my own home');
    await cc.fill('#needs', 'Dressings for the leg ulcer\nA break for Peter');
    await cc.fill('#trigger-1', 'Peter is unwell and cannot visit');
    await cc.fill('#action-1', 'Call the rapid response team on 01632 960999');
    await Promise.all([cc.waitForURL(/done=sections/), cc.click('button:has-text("Save the plan")')]);
    await cc.click('summary:has-text("Add a goal")');
    await cc.fill('#goal', 'Get out into the garden every day');
    await Promise.all([cc.waitForURL(/done=goal/), cc.click('button:has-text("Add the goal")')]);
    await cc.click('summary:has-text("Add an action")');
    await cc.fill('#what', 'Falls prevention exercise group, Tuesdays');
    await cc.selectOption('#owner', { label: 'Kent Community Nursing' });
    await cc.fill('#due-day', due.day);
    await cc.fill('#due-month', due.month);
    await cc.fill('#due-year', due.year);
    await Promise.all([cc.waitForURL(/done=action/), cc.click('button:has-text("Add the action")')]);
    await Promise.all([cc.waitForURL(/done=active/), cc.click('button:has-text("Put the plan in use")')]);
    expect(await cc.locator('main').innerText()).toContain('Not agreed yet');
    await expectAccessible(cc);
    await shot(cc, 'care-plan', true);
    await cc.context().close();

    // Margaret changes what matters to her, rates her confidence and agrees.
    const me = await newPage(browser);
    await signIn(me, base, CARE_USERS.resident.username);
    await me.goto(`${base}/my-plan`);
    await expectAccessible(me);
    await me.fill('#what-matters', 'Staying in my own home with Biscuit, and seeing my grandchildren on Sundays');
    await Promise.all([me.waitForURL(/done=what-matters/), me.click('button:has-text("Save what matters")')]);
    await me.locator('select[id^="confidence-"]').first().selectOption('7');
    await Promise.all([me.waitForURL(/done=confidence/), me.click('button:has-text("Save my answer")')]);
    await Promise.all([me.waitForURL(/done=agreed/), me.click('button:has-text("I agree this plan")')]);
    const mine = await me.locator('main').innerText();
    expect(mine).toContain('Agreed by you');
    expect(mine).toContain('7 out of 10');
    await expectAccessible(me);
    await shot(me, 'my-plan', true);
    await me.context().close();

    // Peter, her carer, sees it, and his own support.
    const carer = await newPage(browser);
    await signIn(carer, base, CARE_USERS.carer.username);
    await carer.goto(`${base}/my-plan`);
    const theirs = await carer.locator('main').innerText();
    expect(theirs).toContain('seeing my grandchildren on Sundays');
    expect(theirs).toContain('Agreed by Margaret Hollis');
    expect(theirs).toContain('Support for you as a carer');
    await expectAccessible(carer);
    await shot(carer, 'carer-plan', true);
    await carer.context().close();
  });
});
