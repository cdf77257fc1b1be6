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

  it('offers every colleague of a large organisation to hand work to, by name (it was any 200)', async () => {
    const r = t.platform.resources;
    const n = 230;
    for (let i = 0; i < n; i += 23) {
      await Promise.all(Array.from({ length: 23 }, async (_, k) => {
        const id = `big-${i + k}`;
        await r.update('Practitioner', `prac-${id}`, { resourceType: 'Practitioner', id: `prac-${id}`, name: [{ given: ['Nurse'], family: `Number ${String(i + k).padStart(3, '0')}` }] });
        await r.update('PractitionerRole', `role-${id}`, { resourceType: 'PractitionerRole', id: `role-${id}`, practitioner: { reference: `Practitioner/prac-${id}` }, organization: { reference: 'Organization/org-big-trust' } });
      }));
    }
    const colleagues = await t.platform.workflow.worklist.colleagues('org-big-trust');
    expect(colleagues).toHaveLength(n);
    expect(colleagues[0].name).toBe('Nurse Number 000');
    expect(colleagues[n - 1].name).toBe(`Nurse Number ${n - 1}`);
  });
});
