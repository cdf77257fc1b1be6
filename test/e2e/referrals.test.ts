import type { HealthcareService, Resource } from '@medplum/fhirtypes';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResident } from '../../src/access/identity/identity.test-helpers.js';
import { testNhsNumber } from '../../src/record-view/care.fixtures.js';
import { REF, REF_PASSWORD, seedReferralWorld } from '../../src/referrals/referral.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { closeChromiumAndServer, expectAccessible, newPage, serveToChromium, shot, signIn } from './e2e.helpers.js';

// A referral as people would make and answer it, in Debian's Chromium on loopback: the link worker
// finds the befriending service open on Saturdays within 5 km of Bill's home through the directory's
// search form (beside a Saturday group too far away and a weekday one nearby), opens it and refers
// Bill; the VCSE worker of
// that service signs in, accepts, starts and later completes it with an outcome; the link worker
// sees each change; Bill sees the referral in the portal. Every page is checked with axe-core.
let t: TestPlatform;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedReferralWorld(t.platform);
  // Where the services meet, so the search can measure distances from Bill's home (TN23 1AA, Ashford).
  const put = (r: Resource) => t.platform.resources.update(r.resourceType, r.id!, r);
  const place = async (id: string, postalCode: string) => put({ resourceType: 'Location', id, name: `Hall in ${postalCode}`, address: { line: ['Church Road'], postalCode } } as Resource);
  await place('loc-ref-ashford', 'TN23 1AA');
  await place('loc-ref-margate', 'CT9 1AA');
  const befriending = { system: 'https://onestory.example/fhir/CodeSystem/service-type', code: 'befriending' };
  const current = JSON.parse((await t.platform.resources.read('HealthcareService', REF.serviceA)).content!) as HealthcareService;
  await put({ ...current, location: [{ reference: 'Location/loc-ref-ashford' }] } as Resource);
  await put({ resourceType: 'HealthcareService', id: 'hs-ref-far', active: true, providedBy: { reference: `Organization/${REF.vcsB}` }, name: 'Befriending, Margate',
    type: [{ coding: [befriending] }], location: [{ reference: 'Location/loc-ref-margate' }],
    availableTime: [{ daysOfWeek: ['sat'], availableStartTime: '10:00:00', availableEndTime: '13:00:00' }] } as Resource);
  await put({ resourceType: 'HealthcareService', id: 'hs-ref-weekday', active: true, providedBy: { reference: `Organization/${REF.vcsB}` }, name: 'Befriending coffee morning, Ashford',
    type: [{ coding: [befriending] }], location: [{ reference: 'Location/loc-ref-ashford' }],
    availableTime: [{ daysOfWeek: ['wed'], availableStartTime: '10:00:00', availableEndTime: '12:00:00' }] } as Resource);
  await createResident(t.platform, 'ref.bill', REF_PASSWORD, REF.other);
  ({ base, browser } = await serveToChromium(t));
});
afterAll(() => closeChromiumAndServer(browser, t));

describe('Referrals in Chromium', () => {
  it('a link worker refers; the VCSE worker accepts and completes; the link worker sees each change; the person sees it in the portal', { timeout: 240_000 }, async () => {
    const link = await newPage(browser);
    await signIn(link, base, 'ref.link', REF_PASSWORD);
    // Through the search form: befriending, open at weekends, within 5 km of Bill's home.
    await link.goto(`${base}/services`);
    await link.selectOption('#kind', 'befriending');
    await link.fill('#postcode', 'TN23 1AA');
    await link.selectOption('#distance', '5');
    await link.check('input[name="when"][value="weekends"]');
    await Promise.all([link.waitForURL(/when=weekends/), link.click('button:has-text("Search")')]);
    const found = await link.locator('main').innerText();
    expect(found).toContain('Befriending, Ashford');
    expect(found).toContain('Saturday: 10am to 1pm');
    expect(found).not.toContain('Befriending, Margate');
    expect(found).not.toContain('coffee morning');
    await expectAccessible(link);
    await shot(link, 'referral-search', true);
    await Promise.all([link.waitForURL(new RegExp(`/services/${REF.serviceA}$`)), link.click('main a:has-text("Befriending, Ashford")')]);
    await Promise.all([link.waitForURL(/\/referrals\/new\?service=/), link.click('a:has-text("Refer someone")')]);
    expect(await link.locator('h1').innerText()).toBe('Befriending, Ashford');
    await expectAccessible(link);
    // Sending without the person's agreement: the error summary, the answers kept, nothing sent.
    await link.fill('#nhsNumber', testNhsNumber(720));
    await link.fill('#reason', 'Isolated since his fall; would like a befriender to visit');
    await link.click('button:has-text("Send referral")');
    await expect.poll(() => link.locator('.nhsuk-error-summary').innerText()).toContain('agreed');
    expect(await link.inputValue('#reason')).toContain('Isolated since his fall');
    await expectAccessible(link);
    await link.check('#consent');
    await link.check('#share');
    await link.fill('#whatMatters', 'Getting back to his allotment on Saturdays');
    await shot(link, 'referral-new', true);
    await Promise.all([link.waitForURL(/done=sent/), link.click('button:has-text("Send referral")')]);
    expect(await link.locator('.nhsuk-notification-banner').innerText()).toContain('Referral sent');
    const url = new URL(link.url()).pathname;
    expect(await link.locator('main').innerText()).toContain('Requested');
    await expectAccessible(link);

    const vcse = await newPage(browser);
    await signIn(vcse, base, 'ref.vcs.a', REF_PASSWORD);
    await vcse.goto(`${base}/referrals`);
    expect(await vcse.locator('main').innerText()).toContain('Bill Baker');
    await expectAccessible(vcse);
    await shot(vcse, 'referrals-received', true);
    await Promise.all([vcse.waitForURL(new RegExp(`${url}$`)), vcse.click('a:has-text("Bill Baker")')]);
    const detail = await vcse.locator('main').innerText();
    expect(detail).toContain('Getting back to his allotment');
    expect(detail).not.toContain('Health information');
    await expectAccessible(vcse);
    await Promise.all([vcse.waitForURL(/done=accept/), vcse.click('button:has-text("Accept referral")')]);
    await link.goto(`${base}${url}`);
    expect(await link.locator('main').innerText()).toContain('Accepted');
    await Promise.all([vcse.waitForURL(/done=start/), vcse.click('button:has-text("Start support")')]);
    await link.goto(`${base}${url}`);
    expect(await link.locator('main').innerText()).toContain('In progress');
    await vcse.check('#outcome');
    await vcse.fill('#note', 'A volunteer visits every Saturday; he is back at the allotment');
    await expectAccessible(vcse);
    await shot(vcse, 'referral-complete', true);
    await Promise.all([vcse.waitForURL(/done=complete/), vcse.click('button:has-text("Complete referral")')]);
    expect(await vcse.locator('.nhsuk-notification-banner').innerText()).toContain('Referral completed');

    await link.goto(`${base}${url}`);
    const done = await link.locator('main').innerText();
    expect(done).toContain('Completed');
    expect(done).toContain('A volunteer visits every Saturday');
    await expectAccessible(link);
    await shot(link, 'referral-completed', true);
    await link.goto(`${base}/referrals`);
    expect(await link.locator('main').innerText()).toContain('Befriending, Ashford');
    await expectAccessible(link);

    const bill = await newPage(browser);
    await signIn(bill, base, 'ref.bill', REF_PASSWORD);
    await bill.click('a:has-text("My referrals")');
    await bill.waitForURL(/\/my-referrals$/);
    const mine = await bill.locator('main').innerText();
    expect(mine).toContain('Befriending, Ashford');
    expect(mine).toContain('Finished');
    await expectAccessible(bill);
    await shot(bill, 'my-referrals', true);
  });
});
