import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newReferral, PEOPLE, REF, REF_PASSWORD } from '../../src/referrals/referral.fixtures.js';
import { SP, SP_PEOPLE, seedSocialPrescribingWorld } from '../../src/social-prescribing/social-prescribing.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// The link worker's day in Debian's Chromium on loopback: the caseload shows Ada waiting for a first
// contact and an onward referral the befriending service declined; the link worker opens Ada, records
// her ONS4 wellbeing at the start, and refers her on to the carers' service. Every page is checked with axe-core.
let t: TestPlatform;
let browser: Browser;
let base: string;
let ada: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedSocialPrescribingWorld(t.platform);
  const { referrals } = t.platform.referrals;
  ada = (await referrals.send(SP_PEOPLE.gp, newReferral({ serviceId: SP.service, reason: 'Lonely since her husband died' }))).referral.id;
  const onward = (await referrals.send(SP_PEOPLE.linkWorker, newReferral({ reason: 'Befriending on Saturdays' }))).referral;
  await referrals.act(PEOPLE.vcsA, onward.id, 'reject', onward.taskVersion!, { reason: 'no-capacity' });
  ({ base, browser } = await serveToChromium(t));
});
afterAll(() => closeChromiumAndServer(browser, t));

describe('Social prescribing in Chromium', () => {
  it('the link worker opens the caseload, records a start ONS4 score, refers on, and sees the declined referral', { timeout: 240_000 }, async () => {
    const link = await newPage(browser);
    await signIn(link, base, 'ref.link', REF_PASSWORD);
    await link.goto(`${base}/caseload`);
    let main = await link.locator('main').innerText();
    expect(main).toContain('Social prescribing caseload');
    expect(main).toContain('Waiting for a first contact (1)');
    expect(main).toContain('Onward referrals declined (1)');
    expect(main).toContain('The service has no capacity to take new referrals');
    await expectAccessible(link);
    await shot(link, 'social-prescribing-caseload', true);

    await Promise.all([link.waitForURL(new RegExp(`/caseload/${ada}$`)), link.click(`main a[href="/caseload/${ada}"] >> nth=0`)]);
    await expectAccessible(link);
    await link.check('input[name="timepoint"][value="start"]');
    await link.fill('#life-satisfaction', '3');
    await link.fill('#worthwhile', '4');
    await link.fill('#happiness', '2');
    await link.fill('#anxiety', '12');
    await link.click('button:has-text("Save scores")');
    await expect.poll(() => link.locator('.nhsuk-error-summary').innerText()).toContain('Anxiety: enter a whole number from 0 to 10');
    expect(await link.inputValue('#happiness')).toBe('2');
    await expectAccessible(link);
    await link.fill('#anxiety', '8');
    await Promise.all([link.waitForURL(/done=wellbeing/), link.click('button:has-text("Save scores")')]);
    main = await link.locator('main').innerText();
    expect(main).toContain('Wellbeing scores recorded.');
    expect(main).toMatch(/At the start\s+3\s+4\s+2\s+8/);

    // The caseload's onward list holds the services within 20 km of the person's home; the fixture's
    // are further away, so the link worker opens the referral form for service B as the list would.
    await link.goto(`${base}/referrals/new?person=${REF.pat}&service=${REF.serviceB}`);
    await link.fill('#reason', 'Cares for her husband; would like support as a carer');
    await link.check('input[name="consent"][value="yes"]');
    await expectAccessible(link);
    await Promise.all([link.waitForURL(/done=sent/), link.click('button:has-text("Send referral")')]);
    expect(await link.locator('main').innerText()).toContain('Carers’ support, Ashford');

    await link.goto(`${base}/caseload/${ada}`);
    main = await link.locator('main').innerText();
    expect(main).toContain('Carers’ support, Ashford');
    expect(main).toContain('Befriending, Ashford');
    await link.goto(`${base}/caseload`);
    expect(await link.locator('main').innerText()).toContain('Send to another service');
    await expectAccessible(link);
  });
});
