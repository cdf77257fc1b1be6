import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from '../testing/test-platform.js';
import { canTransition } from './task-transitions.js';
import { TASK_STATUSES, type TaskStatus } from './task.vocabulary.js';

// The Task state machine as a client meets it: every from × to over PUT and PATCH, Bundles, and the
// statusReason rule. The caller is the test integration (a system client of TEST_ORG_ID), and every
// task is its organisation's pool task, so the access layer allows the change and the state machine decides.

let t: TestPlatform;
const PATIENT = 'pat-tw';

/** A task in status `from`, written as the platform writes fixtures (past the rules, as import does). */
async function fixture(id: string, from: TaskStatus): Promise<Task> {
  const task: Task = {
    resourceType: 'Task', id, status: from, intent: 'order', for: { reference: `Patient/${PATIENT}` },
    owner: { reference: `Organization/${TEST_ORG_ID}` }, meta: { tag: [recordedByTag(TEST_ORG_ID)] },
    ...(['on-hold', 'rejected', 'cancelled', 'failed'].includes(from) ? { statusReason: { text: 'set up so' } } : {}),
  };
  await t.platform.resources.update('Task', id, task);
  return task;
}

const stored = async (id: string) => {
  const r = await t.platform.db.query<{ version_id: number; content: string }>("SELECT version_id, content FROM resource WHERE resource_type = 'Task' AND id = $1", [id]);
  return r.rows[0] ? { versionId: Number(r.rows[0].version_id), task: JSON.parse(r.rows[0].content) as Task } : undefined;
};

beforeAll(async () => {
  t = await createTestPlatform();
  await t.platform.resources.update('Patient', PATIENT, {
    resourceType: 'Patient', id: PATIENT, generalPractitioner: [{ reference: `Organization/${TEST_ORG_ID}` }], meta: { tag: [recordedByTag(TEST_ORG_ID)] },
  });
}, 60_000);
afterAll(async () => t?.close());

describe('every from × to over the FHIR API', () => {
  for (const method of ['PUT', 'PATCH'] as const) {
    it(`${method}: the diagram's moves succeed; every other is a 422 naming from and to, and nothing is written`, async () => {
      const wrong: string[] = [];
      let allowed = 0;
      let refused = 0;
      for (const from of TASK_STATUSES) {
        for (const to of TASK_STATUSES) {
          if (from === to) continue;
          const id = `${method.toLowerCase()}-${from}-${to}`;
          const task = await fixture(id, from);
          const reason = { text: 'a reason, whichever move it is' };
          const res = method === 'PUT'
            ? await fhir(t.app, 'PUT', `Task/${id}`, { ...task, status: to, statusReason: reason })
            : await fhir(t.app, 'PATCH', `Task/${id}`, [{ op: 'replace', path: '/status', value: to }, { op: 'add', path: '/statusReason', value: reason }], { 'content-type': 'application/json-patch+json' });
          const after = await stored(id);
          if (canTransition(from, to)) {
            allowed++;
            if (res.status !== 200 || after?.task.status !== to || after.versionId !== 2) wrong.push(`${from}→${to}: ${res.status} ${res.text}`);
          } else {
            refused++;
            const diag = res.body?.issue?.[0]?.diagnostics ?? '';
            if (res.status !== 422 || !diag.includes(`from "${from}" to "${to}"`) || res.body.issue[0].expression?.[0] !== 'Task.status') wrong.push(`${from}→${to}: ${res.status} ${res.text}`);
            if (after?.versionId !== 1 || after.task.status !== from) wrong.push(`${from}→${to}: written although refused`);
          }
        }
      }
      expect(wrong).toEqual([]);
      // 25 arrows of the diagram, our 2 (received ⇄ on-hold), and 11 statuses that may be marked entered-in-error.
      expect([allowed, refused]).toEqual([38, 94]);
    }, 120_000);
  }

  it('a move into on-hold, rejected, cancelled or failed without a statusReason is a 422; with one it is made', async () => {
    for (const [from, to] of [['in-progress', 'on-hold'], ['requested', 'rejected'], ['ready', 'cancelled'], ['in-progress', 'failed']] as [TaskStatus, TaskStatus][]) {
      const task = await fixture(`reason-${to}`, from);
      const bare = await fhir(t.app, 'PUT', `Task/${task.id}`, { ...task, status: to });
      expect(bare.status, `${from}→${to}`).toBe(422);
      expect(bare.body.issue[0]).toMatchObject({ code: 'business-rule', expression: ['Task.statusReason'] });
      expect(bare.body.issue[0].diagnostics).toBe(`A Task moving from "${from}" to "${to}" needs a statusReason saying why`);
      expect((await stored(task.id!))?.versionId).toBe(1);
      const patched = await fhir(t.app, 'PATCH', `Task/${task.id}`, [{ op: 'replace', path: '/status', value: to }], { 'content-type': 'application/json-patch+json' });
      expect(patched.status).toBe(422);
      const given = await fhir(t.app, 'PUT', `Task/${task.id}`, { ...task, status: to, statusReason: { text: 'waiting for the hospital letter' } });
      expect(given.status).toBe(200);
      expect((await stored(task.id!))?.task.status).toBe(to);
    }
  });

  it('a new Task starts as draft, requested or ready: POST, PUT-as-create and conditional update alike', async () => {
    const body = (status: string, id?: string): Task => ({
      resourceType: 'Task', ...(id ? { id } : {}), status: status as TaskStatus, intent: 'order',
      for: { reference: `Patient/${PATIENT}` }, owner: { reference: `Organization/${TEST_ORG_ID}` },
    });
    const before = await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Task'");
    const post = await fhir(t.app, 'POST', 'Task', body('completed'));
    expect(post.status).toBe(422);
    expect(post.body.issue[0].diagnostics).toBe('A new Task cannot start as "completed": it starts as draft, requested, ready');
    expect((await fhir(t.app, 'PUT', 'Task/new-in-progress', body('in-progress', 'new-in-progress'))).status).toBe(422);
    expect((await fhir(t.app, 'PUT', 'Task?identifier=urn:x|new-1', { ...body('on-hold'), identifier: [{ system: 'urn:x', value: 'new-1' }], statusReason: { text: 'x' } })).status).toBe(422);
    const after = await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Task'");
    expect(after.rows).toEqual(before.rows);
    expect((await fhir(t.app, 'POST', 'Task', body('requested'))).status).toBe(201);
  });

  it('a conditional update is held to the same transitions', async () => {
    const task = await fixture('cond-1', 'completed');
    await t.platform.resources.update('Task', 'cond-1', { ...task, identifier: [{ system: 'urn:x', value: 'cond-1' }] });
    const res = await fhir(t.app, 'PUT', 'Task?identifier=urn:x|cond-1', { ...task, identifier: [{ system: 'urn:x', value: 'cond-1' }], status: 'in-progress' });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain('from "completed" to "in-progress"');
    expect((await stored('cond-1'))?.task.status).toBe('completed');
  });
});

describe('Bundles', () => {
  it('a transaction with one illegal transition fails as a whole and writes nothing', async () => {
    const legal = await fixture('tx-legal', 'requested');
    const illegal = await fixture('tx-illegal', 'requested');
    const res = await fhir(t.app, 'POST', '', {
      resourceType: 'Bundle', type: 'transaction', entry: [
        { request: { method: 'PUT', url: 'Task/tx-legal' }, resource: { ...legal, status: 'accepted' } },
        { request: { method: 'POST', url: 'Task' }, resource: { ...legal, id: undefined, status: 'requested' } },
        { request: { method: 'PUT', url: 'Task/tx-illegal' }, resource: { ...illegal, status: 'completed' } },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain('from "requested" to "completed"');
    expect((await stored('tx-legal'))?.versionId).toBe(1);
    expect((await stored('tx-illegal'))?.versionId).toBe(1);
  });

  it('a transaction\'s new Task (written with the others in one statement) must start as draft, requested or ready', async () => {
    const before = await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Task'");
    const res = await fhir(t.app, 'POST', '', {
      resourceType: 'Bundle', type: 'transaction', entry: [
        { request: { method: 'POST', url: 'Task' }, resource: { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: `Patient/${PATIENT}` } } },
        { request: { method: 'POST', url: 'Task' }, resource: { resourceType: 'Task', status: 'completed', intent: 'order', for: { reference: `Patient/${PATIENT}` } } },
      ],
    });
    expect(res.status).toBe(422);
    expect((await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Task'")).rows).toEqual(before.rows);
  });

  it('in a batch, the illegal entry alone is refused (422 in its response), the others are made', async () => {
    const ok = await fixture('batch-ok', 'accepted');
    const bad = await fixture('batch-bad', 'accepted');
    const res = await fhir(t.app, 'POST', '', {
      resourceType: 'Bundle', type: 'batch', entry: [
        { request: { method: 'PUT', url: 'Task/batch-ok' }, resource: { ...ok, status: 'in-progress' } },
        { request: { method: 'PUT', url: 'Task/batch-bad' }, resource: { ...bad, status: 'requested' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', expect.stringMatching(/^422/)]);
    expect((await stored('batch-ok'))?.task.status).toBe('in-progress');
    expect((await stored('batch-bad'))?.versionId).toBe(1);
  });
});
