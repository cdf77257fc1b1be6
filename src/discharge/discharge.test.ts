import type { CarePlan, Encounter, EpisodeOfCare, Observation, ServiceRequest, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxy, staff } from '../access/policy/policy.fixtures.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { restrictionFor } from '../access/policy/index.js';
import type { FhirError } from '../fhir/outcome.js';
import { Params } from '../fhir/search.repository.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import {
  communityNurse, coordinator, councilWorker, DISCHARGE_NOW, DISCHARGE_WORLD, dischargeDay, otherCoordinator, practiceGp,
} from './discharge.fixtures.js';
import { DischargeBoardService } from './discharge-board.service.js';
import { DISCHARGE_TASK_SYSTEM, EXT } from './discharge.vocabulary.js';

// The discharge board, its commands and the hub on a real database, on the hand-built world of
// discharge.fixtures.ts (the answers below are worked out by hand from it).

let t: TestPlatform;
const clockAt = (at: Date) => {
  t.platform.clock.now = () => at;
};

async function refusal(p: Promise<unknown>): Promise<FhirError> {
  try {
    await p;
  } catch (e) {
    return e as FhirError;
  }
  throw new Error('expected a refusal');
}

const count = async (type: string) => Number((await t.platform.db.query(`SELECT count(*)::int AS n FROM resource WHERE resource_type = $1`, [type])).rows[0].n);
const stored = async (type: string, id: string) => {
  const r = await t.platform.db.query<{ version_id: number; content: string }>('SELECT version_id, content FROM resource WHERE resource_type = $1 AND id = $2', [type, id]);
  return { versionId: Number(r.rows[0].version_id), resource: JSON.parse(r.rows[0].content) };
};

beforeAll(async () => {
  t = await createTestPlatform();
  for (const r of DISCHARGE_WORLD) await t.platform.resources.update(r.resourceType, r.id!, r);
  clockAt(DISCHARGE_NOW);
}, 60_000);
afterAll(async () => t?.close());

describe('the board', () => {
  it('shows the trust\'s inpatients with length of stay, readiness, ready date and delay days, longest stay first', async () => {
    const b = await t.platform.discharge.board.board(coordinator, { sort: 'los' }, DISCHARGE_NOW);
    expect(b.org).toBe('org-trust');
    expect(b.stays.map((s) => [s.id, s.los, s.band, s.meets, s.readyDate, s.delayDays, s.reviewedToday])).toEqual([
      ['enc-a', 25, 21, false, dischargeDay(-6), 6, true],
      ['enc-b', 10, 7, true, undefined, 0, true],
      ['enc-c', 2, undefined, undefined, undefined, 0, false],
    ]);
    expect(b.counts).toMatchObject({ total: 3, band7: 2, band14: 1, band21: 1, ready: 1, ready21: 1, notReviewed: 1 });
    expect(b.delayDaysByReason).toEqual([{ reason: 'awaiting-reablement', text: 'Awaiting reablement or care at home (pathway 1)', people: 1, days: 6 }]);
    expect(b.wards).toEqual([{ id: 'loc-ward-a', name: 'Ward A' }]);
  });

  it('filters by band, readiness and pathway, and sorts by name', async () => {
    const f = (q: Record<string, string>) => t.platform.discharge.board.board(coordinator, t.platform.discharge.board.parseFilter(q), DISCHARGE_NOW);
    expect((await f({ band: '21' })).stays.map((s) => s.id)).toEqual(['enc-a']);
    expect((await f({ readiness: 'not-reviewed' })).stays.map((s) => s.id)).toEqual(['enc-c']);
    expect((await f({ readiness: 'not-ready' })).stays.map((s) => s.id)).toEqual(['enc-b']);
    expect((await f({ sort: 'name' })).stays.map((s) => s.person.name)).toEqual(['Ada Aske', 'Bea Birch', 'Cy Cole']);
    expect(() => t.platform.discharge.board.parseFilter({ band: '5' })).toThrow(/7, 14 or 21/);
    expect(() => t.platform.discharge.board.parseFilter({ pathway: '4' })).toThrow(/0, 1, 2 or 3/);
  });

  it('lists a page of people while its counts and delay days stay over everyone the filters keep; tasks are read for the page', async () => {
    const paged = new DischargeBoardService(t.platform.db, t.platform.workflow.worklist, { pageSize: 2 });
    const whole = await t.platform.discharge.board.board(coordinator, { sort: 'los' }, DISCHARGE_NOW);
    const first = await paged.board(coordinator, { sort: 'los' }, DISCHARGE_NOW);
    expect(first.stays.map((s) => s.id)).toEqual(['enc-a', 'enc-b']);
    expect(first.page).toEqual({ number: 1, pages: 2, size: 2 });
    expect([first.counts, first.delayDaysByReason]).toEqual([whole.counts, whole.delayDaysByReason]);
    const second = await paged.board(coordinator, { sort: 'los', page: 2 }, DISCHARGE_NOW);
    expect(second.stays).toEqual(whole.stays.slice(2));
    expect([second.page, second.counts]).toEqual([{ number: 2, pages: 2, size: 2 }, whole.counts]);
    // Past the last page: the last page. A page that is not a whole number from 1 is refused.
    expect((await paged.board(coordinator, { sort: 'los', page: 9 }, DISCHARGE_NOW)).page.number).toBe(2);
    expect(t.platform.discharge.board.parseFilter({ page: '3' }).page).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'x', '999999']) expect(() => t.platform.discharge.board.parseFilter({ page: bad })).toThrow(/whole number/);
    // Filtered, then paged: the counts are of the filtered people.
    const ready = await paged.board(coordinator, { sort: 'los', readiness: 'not-reviewed' }, DISCHARGE_NOW);
    expect([ready.stays.map((s) => s.id), ready.counts.total, ready.page.pages]).toEqual([['enc-c'], 1, 1]);
  });

  it('never shows or counts a patient the user may not see: another trust\'s board is empty to this coordinator, and theirs to the other', async () => {
    const other = await t.platform.discharge.board.board(coordinator, { org: 'org-trust2', sort: 'los' }, DISCHARGE_NOW);
    expect(other.stays).toEqual([]);
    expect(other.counts.total).toBe(0);
    const theirs = await t.platform.discharge.board.board(otherCoordinator, { org: 'org-trust2', sort: 'los' }, DISCHARGE_NOW);
    expect(theirs.stays.map((s) => s.id)).toEqual(['enc-x']);
    const mine = await t.platform.discharge.board.board(otherCoordinator, { org: 'org-trust', sort: 'los' }, DISCHARGE_NOW);
    expect(mine.stays).toEqual([]);
    // The community nurse has no relationship with anyone in hospital yet.
    expect((await t.platform.discharge.board.board(communityNurse, { org: 'org-trust', sort: 'los' }, DISCHARGE_NOW)).stays).toEqual([]);
  });
});

describe('recording the discharge plan', () => {
  it('a review that says "no longer meets the criteria" starts the ready date today, with who decided', async () => {
    const before = await stored('Encounter', 'enc-c');
    const done = await t.platform.discharge.stays.recordCriteria(coordinator, 'enc-c', before.versionId, 'no');
    expect(done.stay.extension?.find((x) => x.url === EXT.readyDate)?.valueDateTime).toBe(dischargeDay(0));
    const obs = await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Observation'");
    const o = obs.rows.map((r) => JSON.parse(r.content) as Observation).find((x) => x.encounter?.reference === 'Encounter/enc-c')!;
    expect(o.valueBoolean).toBe(false);
    expect(o.performer?.[0].reference).toBe('Practitioner/pr-dc');
    // Meets them again: no longer ready.
    const again = await t.platform.discharge.stays.recordCriteria(coordinator, 'enc-c', done.versionId, 'yes');
    expect(again.stay.extension?.find((x) => x.url === EXT.readyDate)).toBeUndefined();
  });

  it('refuses bad input with the field named and writes nothing', async () => {
    const s = t.platform.discharge.stays;
    const before = await stored('Encounter', 'enc-b');
    const srs = await count('ServiceRequest');
    const tasks = await count('Task');
    const cases: [() => Promise<unknown>, number, string, RegExp][] = [
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId, { readyDate: dischargeDay(-11) }), 422, 'readyDate', /cannot be before the admission/],
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId, { readyDate: dischargeDay(1) }), 422, 'readyDate', /cannot be in the future/],
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId, { readyDate: '2026-02-30' }), 400, 'readyDate', /real date/],
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId, { pathway: '4' }), 422, 'pathway', /no discharge pathway "4"/],
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId, { delayReason: 'weather' }), 422, 'delayReason', /from the list/],
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId, { delayReason: 'housing' }), 422, 'delayReason', /needs a Discharge Ready Date/],
      [() => s.discharge(coordinator, 'enc-b', before.versionId, {}), 422, 'destination', /needs a destination/],
      [() => s.discharge(coordinator, 'enc-b', before.versionId, { destination: 'moon' }), 422, 'destination', /from the list/],
      [() => s.discharge(coordinator, 'enc-b', before.versionId, { destination: 'home' }), 422, 'destination', /Share the plan/],
      [() => s.recordCriteria(coordinator, 'enc-b', before.versionId, 'maybe'), 400, 'meets', /criteria to reside/],
      [() => s.updatePlan(coordinator, 'enc-b', before.versionId + 5, { pathway: '1' }), 409, 'versionId', /changed by someone else/],
      [() => s.requestTask(coordinator, 'enc-b', { type: 'home-from-hospital', owner: 'Organization/org-vcs2' }), 422, 'owner', /does not provide/],
      [() => s.requestTask(coordinator, 'enc-b', { type: 'home-from-hospital', owner: 'Organization/org-trust2' }), 422, 'owner', /does not provide/],
      [() => s.requestTask(coordinator, 'enc-b', { type: 'reablement-91', owner: 'Organization/org-kcc' }), 422, 'type', /from the list/],
    ];
    for (const [p, status, field, text] of cases) {
      const e = await refusal(p());
      expect(e.status, String(text)).toBe(status);
      expect(e.outcome.issue?.[0].expression?.[0]).toBe(field);
      expect(e.outcome.issue?.[0].diagnostics).toMatch(text);
    }
    expect(await stored('Encounter', 'enc-b')).toEqual(before);
    expect(await count('ServiceRequest')).toBe(srs);
    expect(await count('Task')).toBe(tasks);
  });

  it('only a coordinator of the stay\'s own trust plans it; someone who cannot see the stay is told it is not there', async () => {
    const v = (await stored('Encounter', 'enc-b')).versionId;
    expect((await refusal(t.platform.discharge.stays.updatePlan(councilWorker, 'enc-b', v, { pathway: '1' }))).status).toBe(404);
    expect((await refusal(t.platform.discharge.stays.updatePlan(otherCoordinator, 'enc-b', v, { pathway: '1' }))).status).toBe(404);
    expect((await refusal(t.platform.discharge.stays.get(otherCoordinator, 'enc-missing'))).status).toBe(404);
  });

  it('pathway 1 raises the reablement referral to the council (a ServiceRequest and a Task with its clock), once', async () => {
    const v = (await stored('Encounter', 'enc-a')).versionId;
    const done = await t.platform.discharge.stays.updatePlan(coordinator, 'enc-a', v, { pathway: '1', readyDate: dischargeDay(-6), delayReason: 'awaiting-reablement', expectedDate: dischargeDay(1) });
    const tasks = (await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Task'")).rows.map((r) => JSON.parse(r.content) as Task);
    const referral = tasks.filter((x) => x.code?.coding?.some((c) => c.system === DISCHARGE_TASK_SYSTEM && c.code === 'reablement'));
    expect(referral).toHaveLength(1);
    expect(referral[0]).toMatchObject({ status: 'requested', owner: { reference: 'Organization/org-kcc' }, for: { reference: 'Patient/pat-a' }, focus: { reference: 'Encounter/enc-a' } });
    expect(referral[0].restriction?.period?.end).toBe(new Date(DISCHARGE_NOW.getTime() + 2 * 86_400_000).toISOString());
    const sr = JSON.parse((await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'ServiceRequest'")).rows[0].content) as ServiceRequest;
    expect(sr.performer?.[0].reference).toBe('HealthcareService/hs-reablement');
    expect(referral[0].basedOn?.[0].reference).toBe(`ServiceRequest/${sr.id}`);
    // Saved again with the same pathway: no second referral.
    await t.platform.discharge.stays.updatePlan(coordinator, 'enc-a', done.versionId, { pathway: '1', readyDate: dischargeDay(-6), expectedDate: dischargeDay(1) });
    expect(await count('ServiceRequest')).toBe(1);
  });

  it('the council\'s team sees the referral on the hub (and now sees the person); the coordinator sees what was asked of others', async () => {
    const hub = await t.platform.discharge.board.hub(councilWorker, DISCHARGE_NOW);
    expect(hub.mine.map((i) => [i.type, i.person?.name, i.status])).toEqual([['reablement', 'Ada Aske', 'requested']]);
    const asked = await t.platform.discharge.board.hub(coordinator, DISCHARGE_NOW);
    expect(asked.asked.map((i) => [i.type, i.ownerName])).toEqual([['reablement', 'Kent County Council']]);
    expect(asked.mine).toEqual([]);
    // A member of staff with no part in it sees none of it.
    expect(await t.platform.discharge.board.hub(communityNurse, DISCHARGE_NOW)).toEqual({ mine: [], asked: [] });
    // The board shows the task with its owner.
    const b = await t.platform.discharge.board.board(coordinator, { sort: 'los' }, DISCHARGE_NOW);
    expect(b.stays[0].tasks.map((x) => [x.type, x.ownerName, x.statusText])).toEqual([['reablement', 'Kent County Council', 'Requested']]);
  });

  it('asks a voluntary group of the person\'s district for home-from-hospital support; another organisation cannot change that task', async () => {
    const task = await t.platform.discharge.stays.requestTask(coordinator, 'enc-a', { type: 'home-from-hospital', owner: 'Organization/org-vcs' });
    expect(task.owner?.reference).toBe('Organization/org-vcs');
    const e = await refusal(t.platform.workflow.tasks.claim(councilWorker, task.id!, 1));
    expect(e.status).toBe(403);
    expect(e.outcome.issue?.[0].diagnostics).toMatch(/only members of Maidstone Good Neighbours/);
  });

  it('shares the plan in plain English with the person and their carer (by consent), and the board says it was in time', async () => {
    const v = (await stored('Encounter', 'enc-a')).versionId;
    await t.platform.discharge.stays.sharePlan(coordinator, 'enc-a', v, {
      where: 'Home to your flat', when: 'Tomorrow, Tuesday, after lunch', support: 'Kent Enablement at Home will visit twice a day for up to six weeks',
      contact: 'Call the ward on 01622 000000, or 111', medicines: 'Your usual tablets, and a new water tablet in the morning',
    });
    const plan = (await stored('CarePlan', 'discharge-plan-enc-a')).resource as CarePlan;
    expect(plan.activity?.map((a) => a.detail?.description)).toContain('Tomorrow, Tuesday, after lunch');
    const p = new Params();
    const cond = restrictionFor(proxy(['rp-a'], ['pat-a']), DISCHARGE_NOW)('r', 'CarePlan', p);
    const seen = await t.platform.db.query(`SELECT r.id FROM resource r WHERE r.resource_type = 'CarePlan' AND ${cond}`, p.values);
    expect(seen.rows.map((r) => r.id)).toEqual(['discharge-plan-enc-a']);
    const b = await t.platform.discharge.board.board(coordinator, { sort: 'los' }, DISCHARGE_NOW);
    expect(b.stays[0].planNotice).toBe('in-time');
  });

  it('discharges home: the stay ends with its destination, reablement starts with the council, and the practice is told at once', async () => {
    // The council's reablement team has taken the referral: it is now owned by a named social worker.
    const referral = (await t.platform.db.query<{ id: string; version_id: number }>(
      "SELECT r.id, r.version_id FROM resource r JOIN sp_token k ON k.rid = r.rid AND k.code = 'code' AND k.value = 'reablement' WHERE r.resource_type = 'Task'")).rows[0];
    await t.platform.workflow.tasks.claim(councilWorker, referral.id, Number(referral.version_id));
    const leaving = new Date(DISCHARGE_NOW.getTime() + 86_400_000 + 4 * 3_600_000);
    clockAt(leaving);
    try {
      const v = (await stored('Encounter', 'enc-a')).versionId;
      const done = await t.platform.discharge.stays.discharge(coordinator, 'enc-a', v, { destination: 'home' });
      expect(done.stay.status).toBe('finished');
      expect(done.stay.hospitalization?.dischargeDisposition?.coding?.[0].code).toBe('home');
      const eps = (await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'EpisodeOfCare'")).rows.map((r) => JSON.parse(r.content) as EpisodeOfCare);
      expect(eps).toHaveLength(1);
      expect(eps[0]).toMatchObject({ status: 'active', managingOrganization: { reference: 'Organization/org-kcc' }, period: { start: dischargeDay(1) } });
      const hub = await t.platform.workflow.worklist.list(practiceGp, t.platform.workflow.worklist.parseFilter({ view: 'pool' }), leaving);
      expect(hub.items.map((i) => i.description)).toEqual([expect.stringMatching(/^Discharged from hospital on .* review the discharge/)]);
      const s = (await stored('Encounter', 'enc-a')).resource as Encounter;
      expect(s.period?.end).toBe(leaving.toISOString());
    } finally {
      clockAt(DISCHARGE_NOW);
    }
  });
});

describe('reablement at 91 days', () => {
  const leftOn = Date.parse(`${dischargeDay(1)}T00:00:00Z`);
  const dayOf = (n: number, hour = 9) => new Date(leftOn + n * 86_400_000 + hour * 3_600_000);
  const followUps = async () => (await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Task'")).rows
    .map((r) => JSON.parse(r.content) as Task).filter((x) => x.code?.coding?.some((c) => c.code === 'reablement-91'));

  it('the scheduled job raises the follow-up on day 91 (not before), for the council, once however often it runs', async () => {
    clockAt(dayOf(90));
    expect(await t.platform.discharge.reablement.raiseFollowUps()).toBe(0);
    clockAt(dayOf(91));
    expect(await t.platform.discharge.reablement.raiseFollowUps()).toBe(1);
    expect(await t.platform.discharge.reablement.raiseFollowUps()).toBe(0);
    const [task] = await followUps();
    expect(task).toMatchObject({ status: 'ready', owner: { reference: 'Organization/org-kcc' }, for: { reference: 'Patient/pat-a' } });
    const hub = await t.platform.discharge.board.hub(councilWorker, dayOf(91));
    expect(hub.mine.map((i) => i.type)).toContain('reablement-91');
  });

  it('refuses an outcome before day 91 or without a place, and records where they are on day 91 from the task', async () => {
    const [task] = await followUps();
    clockAt(dayOf(90));
    const early = await refusal(t.platform.discharge.reablement.recordOutcome(councilWorker, task.id!, 1, 'home'));
    expect(early.status).toBe(422);
    expect(early.outcome.issue?.[0].diagnostics).toMatch(/cannot be recorded before then/);
    clockAt(dayOf(92));
    expect((await refusal(t.platform.discharge.reablement.recordOutcome(councilWorker, task.id!, 1, 'somewhere'))).outcome.issue?.[0].expression).toEqual(['place']);
    // The practice sees the task (the person is registered there) but it is the council's to do.
    expect((await refusal(t.platform.discharge.reablement.recordOutcome(practiceGp, task.id!, 1, 'home'))).status).toBe(403);
    const done = await t.platform.discharge.reablement.recordOutcome(councilWorker, task.id!, 1, 'extra-care');
    expect(done.status).toBe('completed');
    const obs = (await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Observation'")).rows
      .map((r) => JSON.parse(r.content) as Observation).find((o) => o.code?.coding?.[0].code === 'at-home-91-days-after-discharge')!;
    expect(obs.valueBoolean).toBe(true);
    expect(obs.component?.[0].valueCodeableConcept?.coding?.[0].code).toBe('extra-care');
    clockAt(DISCHARGE_NOW);
  });
});

describe('days in Kent, not in UTC (the one clock moved across midnight in summer time)', () => {
  it('a stay that began at 23:30 BST is day 0 until local midnight and one day long after it; the criteria reviewed at 23:40 BST are yesterday\'s after midnight', async () => {
    const summer = staff('discharge-coordinator', 'org-trust3', { id: 'u-dc3', practitionerId: 'pr-dc', displayName: 'Dot Summers' });
    await t.platform.resources.update('Organization', 'org-trust3', { resourceType: 'Organization', id: 'org-trust3', name: 'Summer Hospital Trust' });
    await t.platform.resources.update('Encounter', 'enc-summer', {
      resourceType: 'Encounter', id: 'enc-summer', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
      subject: { reference: 'Patient/pat-c' }, serviceProvider: { reference: 'Organization/org-trust3' }, meta: { tag: [recordedByTag('org-trust3')] },
      period: { start: '2026-06-10T22:30:00Z' }, extension: [{ url: EXT.criteriaReviewed, valueDateTime: '2026-06-10T22:40:00Z' }],
    } as Encounter);
    const board = async () => (await t.platform.discharge.board.board(summer, { sort: 'los' }, t.platform.clock.now())).stays.map((s) => [s.id, s.admittedOn, s.los, s.reviewedToday]);
    try {
      clockAt(new Date('2026-06-10T22:50:00Z')); // 23:50 BST on 10 June
      expect(await board()).toEqual([['enc-summer', '2026-06-10', 0, true]]);
      clockAt(new Date('2026-06-10T23:05:00Z')); // 00:05 BST on 11 June: still the 10th in UTC
      expect(await board()).toEqual([['enc-summer', '2026-06-10', 1, false]]);
    } finally {
      clockAt(DISCHARGE_NOW);
    }
  });
});
