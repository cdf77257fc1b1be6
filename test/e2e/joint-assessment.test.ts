import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_USERS, seedPlanWorld } from '../../src/care-planning/care-planning.fixtures.js';
import { CARE_USERS } from '../../src/record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// A joint assessment in Debian's Chromium, as new users would try it: Margaret's care coordinator
// starts it from her record (health for the community team, social care and the carer's assessment
// for the council); her social worker finds the social care part on the council's list and answers it
// (an answer left out comes back in the error summary first); Margaret answers "about me" in the
// portal; the coordinator adds the answers to the plan, and the plan shows them. axe-core on every page.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedPlanWorld(t.platform);
  ({ base, browser } = await serveToChromium(t));
}, 120_000);
afterAll(() => closeChromiumAndServer(browser, t));

describe('a joint assessment in Chromium', () => {
  it('coordinator starts → social worker answers → the person answers about me → the plan shows the answers', { timeout: 300_000 }, async () => {
    const cc = await newPage(browser);
    await signIn(cc, base, PLAN_USERS.coordinator.username);
    await cc.goto(`${base}/people/pat-hollis`);
    await Promise.all([cc.waitForURL(/\/people\/pat-hollis\/assessment$/), cc.click('a:has-text("Joint assessment")')]);
    await expectAccessible(cc);
    await cc.selectOption('#social-care-owner', { label: 'Adult Social Care, Maidstone' });
    await cc.selectOption('#carer-owner', { label: 'Adult Social Care, Maidstone' });
    await Promise.all([cc.waitForURL(/done=started/), cc.click('button:has-text("Start the joint assessment")')]);
    const assessment = cc.url().split('?')[0];
    expect(await cc.locator('main').innerText()).toContain("A carer's assessment was offered to");
    await expectAccessible(cc);

    // The social worker: the part is on the council's list.
    const sw = await newPage(browser);
    await signIn(sw, base, PLAN_USERS.socialWorker.username);
    await sw.goto(`${base}/assessments`);
    await expectAccessible(sw);
    await Promise.all([sw.waitForURL(/\/parts\//), sw.click('a:has-text("Answer Social care needs")')]);
    await sw.check('label:has-text("Needs some help") >> nth=0');
    await sw.check('#meals-2');
    await sw.click('button:has-text("Save the answers")');
    await expect.poll(() => sw.locator('.nhsuk-error-summary').innerText()).toContain('Answer "Being safe at home"');
    await expectAccessible(sw);
    await sw.check('label:has-text("Some concerns")');
    await sw.fill('#social-care-needs', 'Help with washing and dressing in the morning\nA key safe');
    await Promise.all([sw.waitForURL(/done=answered/), sw.click('button:has-text("Save the answers")')]);
    expect(await sw.locator('main').innerText()).toContain('Tom Reilly');
    await sw.context().close();

    // Margaret answers "about me" in the portal.
    const me = await newPage(browser);
    await signIn(me, base, CARE_USERS.resident.username);
    await me.goto(`${base}/my-assessment`);
    await expectAccessible(me);
    await me.fill('#about-me', 'I taught at the village school for thirty years. I live with my cat, Biscuit.');
    await me.fill('#what-matters', 'Staying in my own home, and my garden');
    await Promise.all([me.waitForURL(/done=answered/), me.click('button:has-text("Send my answers")')]);
    expect(await me.locator('main').innerText()).toContain('What you told us');
    await expectAccessible(me);
    await shot(me, 'joint-assessment-about-me', true);
    await me.context().close();

    // The coordinator sees every answer, attributed, and adds them to the plan.
    await cc.goto(assessment);
    const text = await cc.locator('main').innerText();
    expect(text).toContain('Help with washing and dressing in the morning');
    expect(text).toContain('I taught at the village school');
    await expectAccessible(cc);
    await shot(cc, 'joint-assessment', true);
    await Promise.all([cc.waitForURL(/\/people\/pat-hollis\/plan\?done=sections/), cc.click('button:has-text("Add these answers to the care plan")')]);
    const plan = await cc.locator('main').innerText();
    expect(plan).toContain('I taught at the village school for thirty years');
    expect(plan).toContain('Help with washing and dressing in the morning');
    await expectAccessible(cc);
    await cc.context().close();
  });
});
