import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { STAFF_ROLES } from '../../access/principal.js';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, seedCareWorld } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

/** What each part of the record page says when it has nothing: never to be shown for what the reader may not see. */
const NONE_RECORDED = [
  'No care team is recorded.', 'Nothing is recorded yet: ask them what matters to them.', 'No active problems are recorded.',
  'No current medicines are recorded.', 'No allergies are recorded.', 'No carers or relationships are recorded.',
  'There is no care plan.', 'No open referrals.', 'Not shared with you, or none recorded.',
];
/** Margaret Hollis has something in every part; each part's content or its "not shown" sentence must appear. */
const PARTS: [string, string, string][] = [
  ['care team', 'Amira Okafor', 'the care team'],
  ['what matters', 'To stay in my own home', 'goals and what matters'],
  ['problems', 'Type 2 diabetes', 'health problems and diagnoses'],
  ['medicines', 'Metformin', 'medicines'],
  ['allergies', 'Penicillin', 'allergies'],
  ['carers', 'Peter Hollis', 'carers and contacts'],
  ['care plan', 'Staying well at home', 'care plans'],
  ['referrals', 'Occupational therapy', 'referrals'],
];

describe('nothing hidden in silence: every role × every part of the record page', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedCareWorld(t.platform);
    // One user of each staff role at Margaret Hollis's own GP practice (registration: a care relationship).
    for (const role of STAFF_ROLES) await createStaff(t.platform, `${role}.ns`, CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role }]);
  });
  afterAll(() => t.close());

  for (const role of STAFF_ROLES) {
    it(`${role}: each part shows its content or says why it is not shown`, async () => {
      const b = new Browser(t);
      await b.signIn(`${role}.ns`);
      const page = await b.get('/people/pat-hollis');
      if (page.status === 404) {
        // Roles that see no one's record (analyst, privacy officer, administrator) get the same page as for anyone.
        expect(['icb-analyst', 'privacy-officer', 'system-admin', 'local-admin']).toContain(role);
        expect(page.body).toContain('No record is shown to you here');
        return;
      }
      expect(page.status).toBe(200);
      const text = page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
      for (const none of NONE_RECORDED) expect(text, `${role} sees "${none}"`).not.toContain(none);
      for (const [part, content, words] of PARTS) {
        const shown = text.includes(content);
        const explained = text.includes(`Information about ${words}`) && text.includes('is not shown to your role');
        expect(shown || explained, `${role}: ${part} neither shown nor explained`).toBe(true);
        expect(shown && explained, `${role}: ${part} both shown and said to be hidden`).toBe(false);
      }
    });
  }

  it('the receptionist is told, part by part, that clinical information is not shown to their role', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.receptionist.username);
    const text = (await b.get('/people/pat-hollis')).body;
    for (const words of ['health problems and diagnoses', 'medicines', 'allergies', 'care plans', 'goals and what matters to them']) {
      expect(text).toContain(`Information about ${words} is not shown to your role (Receptionist / admin). This does not mean there is none.`);
    }
    expect(text).toContain('Not shown to your role (Receptionist / admin): diagnoses and problems; medicines;');
  });

  it('a carer is told what the person has not shared with them, never "none recorded"', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.carer.username);
    const page = await b.get('/my-record');
    expect(page.status).toBe(200);
    const text = page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('Margaret Hollis has not shared health problems and diagnoses with you. This does not mean there are none.');
    expect(text).toContain('Margaret Hollis has not shared referrals with you.');
    expect(text).toContain('Metformin');
    for (const none of NONE_RECORDED) expect(text).not.toContain(none);
    // Their referrals page says the same, by the person's name, never "no referrals".
    const referrals = await b.get('/my-referrals');
    expect(referrals.status).toBe(200);
    const said = referrals.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(said).toContain('Margaret Hollis&#39;s referrals');
    expect(said).toContain('Margaret Hollis has not shared referrals with you. This does not mean there are none.');
    expect(said).not.toContain('There are no referrals to show');
    expect(said).toContain('contact the person who referred them');
  });
});
