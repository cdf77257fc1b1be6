import type { Resource, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, signIn } from '../access/identity/identity.test-helpers.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { staff } from '../access/policy/policy.fixtures.js';
import { TeamMembershipRepository } from '../access/policy/team-membership.repository.js';
import { frozenClock } from '../clock.js';
import type { FhirError } from '../fhir/outcome.js';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { ESCALATION_IDENTIFIER_SYSTEM, ESCALATION_SOURCE, TaskService } from './task.service.js';
import { ESCALATION_KIND, OUTCOME_NOTE, TASK_KIND_SYSTEM } from './task.vocabulary.js';

// The workflow's commands and the ownership rules, on a real database. Two organisations share the
// care of one person (pat-1: registered with org-a, managed by org-b). Care team team-1 (about pat-1)
// names Practitioner pr-b1; team-x (about nobody) names org-a.

const PASSWORD = 'correct horse battery staple';
const T0 = '2026-03-02T09:00:00Z';
let t: TestPlatform;
const clock = frozenClock(T0);
let svc: TaskService;

const a1 = staff('care-coordinator', 'org-a', { id: 'u-a1', practitionerId: 'pr-a1', displayName: 'Alex Ash' });
const a2 = staff('community-nurse', 'org-a', { id: 'u-a2', practitionerId: 'pr-a2', displayName: 'Bo Birch' });
const a3 = staff('practice-nurse', 'org-a', { id: 'u-a3', practitionerId: 'pr-a3', displayName: 'Cy Cedar' });
const b1 = staff('gp', 'org-b', { id: 'u-b1', practitionerId: 'pr-b1', displayName: 'Di Dogwood' });
const b2 = staff('social-worker', 'org-b', { id: 'u-b2', practitionerId: 'pr-b2', displayName: 'Ed Elm' });
const c1 = staff('gp', 'org-c', { id: 'u-c1', practitionerId: 'pr-c1', displayName: 'Flo Fir' });

const WORLD: Resource[] = [
  ...['org-a', 'org-b', 'org-c'].map((id) => ({ resourceType: 'Organization', id, name: `Organisation ${id}` }) as Resource),
  ...['pr-a1', 'pr-a2', 'pr-a3', 'pr-b1', 'pr-b2', 'pr-c1'].map((id) => ({ resourceType: 'Practitioner', id, name: [{ text: id }] }) as Resource),
  { resourceType: 'PractitionerRole', id: 'prr-a1', practitioner: { reference: 'Practitioner/pr-a1' }, organization: { reference: 'Organization/org-a' } } as Resource,
  {
    resourceType: 'Patient', id: 'pat-1', meta: { tag: [recordedByTag('org-a')] },
    generalPractitioner: [{ reference: 'Organization/org-a' }], managingOrganization: { reference: 'Organization/org-b' },
  } as Resource,
  {
    resourceType: 'CareTeam', id: 'team-1', status: 'active', name: 'Frailty team', subject: { reference: 'Patient/pat-1' }, meta: { tag: [recordedByTag('org-b')] },
    participant: [{ member: { reference: 'Practitioner/pr-b1' } }], managingOrganization: [{ reference: 'Organization/org-b' }],
  } as Resource,
  {
    resourceType: 'CareTeam', id: 'team-x', status: 'active', name: 'Elsewhere', meta: { tag: [recordedByTag('org-c')] },
    participant: [{ member: { reference: 'Organization/org-a' } }],
  } as Resource,
];

let n = 0;
/** A task recorded by `by`, written as fixtures are (past the rules). */
async function task(fields: Partial<Task>, by = 'org-a'): Promise<string> {
  const id = `task-${++n}`;
  await t.platform.resources.update('Task', id, {
    resourceType: 'Task', id, status: 'requested', intent: 'order', for: { reference: 'Patient/pat-1' }, description: `task ${n}`,
    requester: { reference: `Organization/${by}` }, meta: { tag: [recordedByTag(by)] }, ...fields,
  });
  return id;
}

const stored = async (id: string) => {
  const r = await t.platform.db.query<{ version_id: number; content: string }>("SELECT version_id, content FROM resource WHERE resource_type = 'Task' AND id = $1", [id]);
  return { versionId: Number(r.rows[0].version_id), task: JSON.parse(r.rows[0].content) as Task };
};

/** The FhirError a promise rejects with. */
async function refusal(p: Promise<unknown>): Promise<FhirError> {
  try {
    await p;
  } catch (e) {
    return e as FhirError;
  }
  throw new Error('expected a refusal');
}

const users = new Map<string, { cookie: string; csrf: string }>();
const as = (name: string, method: string, url: string, body?: unknown, extra: Record<string, string> = {}) =>
  fhir(t.app, method, url, body, { cookie: users.get(name)!.cookie, authorization: '', 'x-csrf-token': users.get(name)!.csrf, ...extra });

beforeAll(async () => {
  t = await createTestPlatform();
  for (const r of WORLD) await t.platform.resources.update(r.resourceType, r.id!, r);
  svc = new TaskService(t.platform.resources, clock);
  for (const [name, p] of [['a1', a1], ['b2', b2]] as const) {
    await createStaff(t.platform, name, PASSWORD, [{ organizationId: p.organizationId, role: p.role, practitionerId: p.practitionerId }]);
    users.set(name, await signIn(t.app, name, PASSWORD));
  }
}, 60_000);
afterAll(async () => t?.close());

describe('only the owner changes a Task\'s status, on every write path', () => {
  it('over HTTP, someone of another organisation who sees the task cannot change its status (403, nothing written); a member of the owning pool can', async () => {
    const id = await task({ owner: { reference: 'Organization/org-a' }, status: 'accepted' });
    const before = await stored(id);
    const put = await as('b2', 'PUT', `Task/${id}`, { ...before.task, status: 'in-progress' });
    expect(put.status).toBe(403);
    expect(put.body.issue[0].diagnostics).toBe('Not allowed: only the organisation that recorded it, or the Task\'s owner, may change it');
    const patch = await as('b2', 'PATCH', `Task/${id}`, [{ op: 'replace', path: '/status', value: 'in-progress' }], { 'content-type': 'application/json-patch+json' });
    expect(patch.status).toBe(403);
    const tx = await as('b2', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'PUT', url: `Task/${id}` }, resource: { ...before.task, status: 'in-progress' } }] });
    expect(tx.status).toBe(403);
    expect(await stored(id)).toEqual(before);
    const mine = await as('a1', 'PUT', `Task/${id}`, { ...before.task, status: 'in-progress' });
    expect(mine.status).toBe(200);
    expect((await stored(id)).task.status).toBe('in-progress');
  });

  it('a task owned by a named person: only that person changes its status, not colleagues of the recording organisation; the requester may cancel', async () => {
    const id = await task({ owner: { reference: 'Practitioner/pr-a2', display: 'Bo Birch' }, status: 'accepted' });
    const e = await refusal(svc.start(a1, id, 1));
    expect(e.status).toBe(403);
    expect(e.outcome.issue![0].diagnostics).toBe('Not allowed: only its owner, Bo Birch (Practitioner/pr-a2) may change this task\'s status');
    const asOrg = await as('a1', 'PUT', `Task/${id}`, { ...(await stored(id)).task, status: 'in-progress' });
    expect(asOrg.status).toBe(403);
    expect((await stored(id)).versionId).toBe(1);
    expect((await svc.start(a2, id, 1)).task.status).toBe('in-progress');
    // The requesting organisation (org-a recorded it) may cancel its request, with a reason.
    const cancelled = await svc.transition(a1, id, 2, 'cancelled', 'No longer needed: seen in clinic');
    expect(cancelled.task).toMatchObject({ status: 'cancelled', statusReason: { text: 'No longer needed: seen in clinic' } });
  });

  it('a pool task of a care team: its members act on it; others who see the person do not', async () => {
    const id = await task({ owner: { reference: 'CareTeam/team-1' } }, 'org-b');
    expect(await new TeamMembershipRepository().memberOf(t.platform.db, b1, ['team-1', 'team-x'])).toEqual(['team-1']);
    expect(await new TeamMembershipRepository().teamsOf(t.platform.db, a1)).toEqual(['team-x']);
    const e = await refusal(svc.claim(b2, id, 1));
    expect([e.status, e.outcome.issue![0].diagnostics]).toEqual([403, 'Not allowed: only members of CareTeam/team-1 may claim this task']);
    const claimed = await svc.claim(b1, id, 1);
    expect(claimed.task).toMatchObject({ status: 'accepted', owner: { reference: 'Practitioner/pr-b1', display: 'Di Dogwood' } });
  });

  it('a change of owner over the API is a claim only for a pool member naming themself; otherwise a reassignment by the owner or requester', async () => {
    const id = await task({ owner: { reference: 'Organization/org-b' } });
    const cur = await stored(id);
    // a1 is not in org-b's pool, so naming themself is no claim; but org-a recorded the request, and
    // the requester's side may redirect it (task.reassign), to one of its own people too.
    const grab = await as('a1', 'PUT', `Task/${id}`, { ...cur.task, owner: { reference: 'Practitioner/pr-a1' } });
    expect(grab.status).toBe(200);
    // Now pr-a1's: org-b's people, who no longer own it and did not record it, cannot move its status.
    const accept = await as('b2', 'PUT', `Task/${id}`, { ...(await stored(id)).task, status: 'accepted' });
    expect(accept.status).toBe(403);
    const other = await task({ owner: { reference: 'Organization/org-a' } }, 'org-b');
    const steal = await as('b2', 'PUT', `Task/${other}`, { ...(await stored(other)).task, owner: { reference: 'Practitioner/pr-b2' } });
    expect(steal.status).toBe(200); // b2's organisation recorded it: the requester may redirect its request
    const third = await task({ owner: { reference: 'Organization/org-a' } }, 'org-a');
    const outsider = await as('b2', 'PUT', `Task/${third}`, { ...(await stored(third)).task, owner: { reference: 'Practitioner/pr-b2' } });
    expect(outsider.status).toBe(403);
    expect((await stored(third)).versionId).toBe(1);
  });
});

describe('claiming', () => {
  it('two people claiming at once: exactly one owner, the other a 409 naming who took it (several rounds)', async () => {
    for (let round = 0; round < 6; round++) {
      const id = await task({ owner: { reference: 'Organization/org-a' }, status: round % 2 ? 'ready' : 'requested' });
      const results = await Promise.allSettled([svc.claim(a2, id, 1), svc.claim(a3, id, 1)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<{ task: Task }>).value.task.owner!.display;
      expect(lost[0].reason.status).toBe(409);
      expect(lost[0].reason.outcome.issue[0].diagnostics).toBe(`This task is already taken by ${winner}`);
      const now = await stored(id);
      expect(now.versionId).toBe(2);
      expect(now.task.owner?.display).toBe(winner);
      // A requested task is accepted by its claim; a ready one stays ready.
      expect(now.task.status).toBe(round % 2 ? 'ready' : 'accepted');
    }
  });

  it('a claim on a stale version, or of a finished task, is refused; claiming one\'s own task again changes nothing', async () => {
    const id = await task({ owner: { reference: 'Organization/org-a' } });
    await t.platform.resources.update('Task', id, { ...(await stored(id)).task, description: 'changed meanwhile' });
    const stale = await refusal(svc.claim(a1, id, 1));
    expect([stale.status, stale.outcome.issue![0].expression]).toEqual([409, ['versionId']]);
    const mine = await svc.claim(a1, id, 2);
    expect((await svc.claim(a1, id, 2)).versionId).toBe(mine.versionId);
    const done = await task({ owner: { reference: 'Organization/org-a' }, status: 'completed' });
    expect((await refusal(svc.claim(a1, done, 1))).status).toBe(403);
  });
});

describe('commands', () => {
  it('start, hold (with a reason), resume and complete (with an outcome note): each a new version', async () => {
    const id = await task({ owner: { reference: 'Practitioner/pr-a1' }, status: 'accepted' });
    let v = await svc.start(a1, id, 1);
    expect(v).toMatchObject({ versionId: 2, task: { status: 'in-progress', executionPeriod: { start: '2026-03-02T09:00:00.000Z' } } });
    v = await svc.hold(a1, id, v.versionId, '  Waiting for the hospital letter\r\n(chased by phone)  ');
    expect(v.task).toMatchObject({ status: 'on-hold', statusReason: { text: 'Waiting for the hospital letter\n(chased by phone)' } });
    v = await svc.resume(a1, id, v.versionId);
    expect(v.task.status).toBe('in-progress');
    expect(v.task.statusReason).toBeUndefined();
    clock.advance(3_600_000);
    v = await svc.complete(a1, id, v.versionId, 'Visited; equipment ordered');
    expect(v.versionId).toBe(5);
    expect(v.task).toMatchObject({
      status: 'completed', lastModified: '2026-03-02T10:00:00.000Z', executionPeriod: { end: '2026-03-02T10:00:00.000Z' },
      output: [{ type: { coding: [OUTCOME_NOTE] }, valueString: 'Visited; equipment ordered' }],
      note: [{ text: 'Visited; equipment ordered', authorReference: { reference: 'Practitioner/pr-a1' } }],
    });
    expect(v.task.meta?.source).toBe('urn:onestory:user:u-a1');
    expect(await svc.get(a1, id)).toEqual(v);
    clock.set(T0);
  });

  it('bad input is a 4xx naming the field, and nothing is written', async () => {
    const id = await task({ owner: { reference: 'Practitioner/pr-a1' }, status: 'in-progress' });
    // Each call is made only when its turn comes: a promise made early and refused before it is
    // awaited would be an unhandled rejection.
    const cases: [() => Promise<unknown>, number, string][] = [
      [() => svc.hold(a1, id, 1, '   '), 400, 'reason'],
      [() => svc.hold(a1, id, 1, 'bell \u0007'), 400, 'reason'],
      [() => svc.hold(a1, id, 1, 'x'.repeat(2001)), 400, 'reason'],
      [() => svc.transition(a1, id, 1, 'failed'), 422, 'reason'],
      [() => svc.transition(a1, id, 1, 'nonsense'), 400, 'status'],
      [() => svc.transition(a1, id, 1, 'requested'), 422, 'status'],
      [() => svc.complete(a1, id, 1, ''), 400, 'note'],
      [() => svc.reassign(a1, id, 1, 'Patient/pat-1'), 400, 'owner'],
      [() => svc.reassign(a1, id, 1, 'Organization/nowhere'), 422, 'owner'],
      [() => svc.reassign(a1, id, 1, 'CareTeam/team-x'), 422, 'owner'],
      [() => svc.start(a1, id, 7), 409, 'versionId'],
    ];
    for (const [p, status, field] of cases) {
      const e = await refusal(p());
      expect([e.status, e.outcome.issue![0].expression?.[0]], e.message).toEqual([status, field]);
    }
    expect((await stored(id)).versionId).toBe(1);
    expect(await svc.hold(a1, id, 1, 'x'.repeat(2000))).toMatchObject({ versionId: 2 });
  });

  it('reassign hands the task to a person, an organisation or a team caring for the person', async () => {
    const id = await task({ owner: { reference: 'Practitioner/pr-a1' }, status: 'accepted' });
    let v = await svc.reassign(a1, id, 1, 'Organization/org-b');
    expect(v.task.owner).toEqual({ reference: 'Organization/org-b', display: 'Organisation org-b' });
    v = await svc.reassign(b2, id, v.versionId, 'CareTeam/team-1');
    expect(v.task.owner).toEqual({ reference: 'CareTeam/team-1', display: 'Frailty team' });
    // b2 is no longer the owner: the team is.
    expect((await refusal(svc.reassign(b2, id, v.versionId, 'Organization/org-b'))).status).toBe(403);
  });

  it('get: a task hidden from the caller is 404, like a missing one; create names the requester and needs an owner', async () => {
    const id = await task({ owner: { reference: 'Organization/org-a' } });
    expect((await refusal(svc.get(c1, id))).status).toBe(404);
    expect((await refusal(svc.get(c1, 'no-such-task'))).status).toBe(404);
    const made = await svc.create(a1, { for: { reference: 'Patient/pat-1' }, owner: { reference: 'Organization/org-b' }, description: 'Please review' });
    expect(made.task).toMatchObject({ status: 'requested', requester: { reference: 'Practitioner/pr-a1' }, authoredOn: '2026-03-02T09:00:00.000Z' });
    expect((await refusal(svc.create(a1, { for: { reference: 'Patient/pat-1' } }))).outcome.issue![0].expression).toEqual(['owner']);
    expect((await refusal(svc.create(a1, { owner: { reference: 'Organization/org-b' }, status: 'completed' }))).status).toBe(422);
    expect((await refusal(svc.create(a1, { owner: { reference: 'Organization/org-b' }, requester: { reference: 'Organization/org-b' } }))).status).toBe(403);
  });
});

describe('overdue escalation', () => {
  const escalationsOf = async (id: string) => {
    const r = await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Task' AND NOT deleted");
    return r.rows.map((x) => JSON.parse(x.content) as Task).filter((x) => x.partOf?.some((p) => p.reference === `Task/${id}`));
  };

  it('raised once per overdue task however often the check runs, concurrently too; none before the due date', async () => {
    clock.set(T0);
    // Earlier tests' tasks have no due date: these are the only ones that can be overdue.
    const orgTask = await task({ owner: { reference: 'Organization/org-b' }, restriction: { period: { end: '2026-03-03' } } });
    const personTask = await task({ owner: { reference: 'Practitioner/pr-a1' }, status: 'in-progress', restriction: { period: { end: '2026-03-02T12:00:00Z' } } });
    const teamTask = await task({ owner: { reference: 'CareTeam/team-1' }, status: 'on-hold', statusReason: { text: 'x' }, restriction: { period: { end: '2026-03-02T12:00:00Z' } } });
    const done = await task({ owner: { reference: 'Organization/org-b' }, status: 'completed', restriction: { period: { end: '2026-03-01' } } });
    const later = await task({ owner: { reference: 'Organization/org-b' }, restriction: { period: { end: '2026-03-10' } } });

    expect(await svc.escalateOverdue()).toBe(0);
    clock.set('2026-03-02T11:59:59Z');
    expect(await svc.escalateOverdue()).toBe(0);
    clock.set('2026-03-02T12:00:01Z');
    expect(await svc.escalateOverdue()).toBe(2); // the person's and the team's; the org task is due by the end of the 3rd
    clock.set('2026-03-04T00:00:00Z');
    const runs = [await svc.escalateOverdue(), await svc.escalateOverdue(), ...(await Promise.all([svc.escalateOverdue(), svc.escalateOverdue(), svc.escalateOverdue()]))];
    expect(runs.reduce((a, b) => a + b, 0)).toBe(1);

    for (const [id, org] of [[orgTask, 'org-b'], [personTask, 'org-a'], [teamTask, 'org-b']]) {
      const esc = await escalationsOf(id);
      expect(esc, id).toHaveLength(1);
      expect(esc[0]).toMatchObject({
        status: 'requested', priority: 'urgent', owner: { reference: `Organization/${org}` }, for: { reference: 'Patient/pat-1' },
        code: { coding: [{ system: TASK_KIND_SYSTEM, code: ESCALATION_KIND }] }, identifier: [{ system: ESCALATION_IDENTIFIER_SYSTEM, value: id }],
        meta: { source: ESCALATION_SOURCE, tag: [recordedByTag(org)] },
      });
    }
    // Said as people read dates, not as a timestamp.
    expect((await escalationsOf(personTask))[0].description).toMatch(/^Overdue: task \d+ was due 2 March 2026$/);
    expect(await escalationsOf(done)).toEqual([]);
    expect(await escalationsOf(later)).toEqual([]);
    // An escalation is itself open work, but is never escalated in turn.
    clock.set('2026-04-01T00:00:00Z');
    expect(await svc.escalateOverdue()).toBe(1); // only `later`
    // The owning organisation sees the escalation and may work it.
    const [esc] = await escalationsOf(orgTask);
    expect((await svc.claim(b1, esc.id!, 1)).task.owner?.reference).toBe('Practitioner/pr-b1');
    clock.set(T0);
  });
});
