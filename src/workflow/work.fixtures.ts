import type { Task } from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import type { Platform } from '../platform.js';
import { CARE_ORGS, CARE_PASSWORD } from '../record-view/care.fixtures.js';
import { TASK_KIND_SYSTEM } from './task.vocabulary.js';

/**
 * Work on the hand-made care world (src/record-view/care.fixtures.ts), for the worklist's tests:
 * a pool task of the community trust (overdue), one the nurse owns, another in the pool, and
 * another organisation's work about a person the nurse cannot see. A second nurse of the trust
 * (`nurse2.test`, Ben Ashe) takes part in hand-overs and races. Dates are relative to `now`.
 */
export const WORK_NOW = new Date('2026-03-02T09:00:00Z');
export const SECOND_NURSE = { username: 'nurse2.test', practitionerId: 'pr-nurse2', name: 'Ben Ashe' };

const dayFrom = (now: Date, n: number) => new Date(now.getTime() + n * 86_400_000).toISOString().slice(0, 10);

function task(now: Date, id: string, o: { owner: string; patient: string; due: number; status?: Task['status']; org: string; description: string; kind?: string }): Task {
  return {
    resourceType: 'Task', id, status: o.status ?? 'requested', intent: 'order', for: { reference: `Patient/${o.patient}` },
    owner: { reference: o.owner }, requester: { reference: `Organization/${o.org}` }, authoredOn: dayFrom(now, -3), description: o.description,
    code: { coding: [{ system: TASK_KIND_SYSTEM, code: o.kind ?? 'visit' }] }, restriction: { period: { end: dayFrom(now, o.due) } },
    meta: { tag: [recordedByTag(o.org)] },
  };
}

export async function seedWork(platform: Platform, now = WORK_NOW): Promise<void> {
  await createStaff(platform, SECOND_NURSE.username, CARE_PASSWORD, [{ organizationId: CARE_ORGS.community, role: 'community-nurse', practitionerId: SECOND_NURSE.practitionerId }]);
  const r = platform.resources;
  await r.update('Practitioner', 'pr-nurse2', { resourceType: 'Practitioner', id: 'pr-nurse2', name: [{ given: ['Ben'], family: 'Ashe' }] });
  await r.update('PractitionerRole', 'role-nurse2', { resourceType: 'PractitionerRole', id: 'role-nurse2', practitioner: { reference: 'Practitioner/pr-nurse2' }, organization: { reference: `Organization/${CARE_ORGS.community}` } });
  // The community trust's open episode of care: every nurse of the trust has a relationship with her.
  await r.update('EpisodeOfCare', 'eoc-hollis-community', {
    resourceType: 'EpisodeOfCare', id: 'eoc-hollis-community', status: 'active', patient: { reference: 'Patient/pat-hollis' },
    managingOrganization: { reference: `Organization/${CARE_ORGS.community}` }, meta: { tag: [recordedByTag(CARE_ORGS.community)] },
  });
  const tasks = [
    task(now, 't-pool', { owner: `Organization/${CARE_ORGS.community}`, patient: 'pat-hollis', due: -2, org: CARE_ORGS.gp, description: 'Dress leg ulcer' }),
    task(now, 't-mine', { owner: 'Practitioner/pr-nurse', patient: 'pat-hollis', due: 3, status: 'accepted', org: CARE_ORGS.community, description: 'Check blood pressure' }),
    task(now, 't-penfold', { owner: `Organization/${CARE_ORGS.community}`, patient: 'pat-penfold', due: 10, org: CARE_ORGS.community, description: 'Review medicines', kind: 'medication-review' }),
    task(now, 't-hidden', { owner: `Organization/${CARE_ORGS.gp2}`, patient: 'pat-baxter', due: 1, org: CARE_ORGS.gp2, description: 'Secret work' }),
  ];
  for (const x of tasks) await r.update('Task', x.id!, x);
}
