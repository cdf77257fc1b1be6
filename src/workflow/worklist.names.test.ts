import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refPrincipal } from '../referrals/referral.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { displayNameOf } from './reference-names.js';

describe('who asked and who owns a task, as the lists name them', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    const r = t.platform.resources;
    await r.update('Organization', 'org-names', { resourceType: 'Organization', id: 'org-names', name: 'Blue Bell Hill Primary Care Network' });
    await r.update('Organization', 'org-nameless', { resourceType: 'Organization', id: 'org-nameless', active: true });
    await r.update('PractitionerRole', 'role-names', {
      resourceType: 'PractitionerRole', id: 'role-names', practitioner: { reference: 'Practitioner/prac-names', display: 'Karen Mensah' },
      organization: { reference: 'Organization/org-names' }, code: [{ text: 'General practitioner' }],
    });
    await r.update('PractitionerRole', 'role-anon', { resourceType: 'PractitionerRole', id: 'role-anon', organization: { reference: 'Organization/org-names' } });
  });
  afterAll(() => t.close());

  it('names a PractitionerRole by its practitioner and role, never by the word "PractitionerRole"', async () => {
    const names = await t.platform.workflow.worklist.displayNames(refPrincipal('care-coordinator', 'org-names', 'prac-names'), new Date(),
      ['PractitionerRole/role-names', 'PractitionerRole/role-anon', 'Organization/org-names', 'Organization/org-nameless']);
    expect(Object.fromEntries(names)).toEqual({
      'PractitionerRole/role-names': 'Karen Mensah, General practitioner',
      'PractitionerRole/role-anon': 'A member of staff (name not recorded)',
      'Organization/org-names': 'Blue Bell Hill Primary Care Network',
      'Organization/org-nameless': 'Name not recorded',
    });
    expect(displayNameOf('PractitionerRole', { code: [{ coding: [{ display: 'Social worker' }] }] })).toBe('Social worker');
  });
});
