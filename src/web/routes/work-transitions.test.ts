import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedByTag } from '../../access/policy/policy-codes.js';
import { CARE_ORGS, CARE_USERS, seedCareWorld } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { canTransition } from '../../workflow/task-transitions.js';
import { TASK_STATUSES, type TaskStatus } from '../../workflow/task.vocabulary.js';
import { seedWork } from '../../workflow/work.fixtures.js';
import { Browser } from '../web.test-helpers.js';

/** The task forms and the status each asks for. */
const FORMS: { action: string; to: TaskStatus; fields: Record<string, string> }[] = [
  { action: 'start', to: 'in-progress', fields: {} },
  { action: 'resume', to: 'in-progress', fields: {} },
  { action: 'hold', to: 'on-hold', fields: { reason: 'Waiting for the GP to reply' } },
  { action: 'complete', to: 'completed', fields: { note: 'Done at home' } },
];

/**
 * The Task state machine through the web: for every status a task can be in × every form that
 * changes status, the web answers exactly as the state machine (task-transitions.ts) decides — a
 * redirect and the new status when the move is allowed, the page with an error and nothing written
 * when it is not; asking for the status a task already has is not an error. The owner is the signed-in nurse, so ownership never decides here.
 */
describe('task transitions through the web: every status × every form', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedCareWorld(t.platform);
    await seedWork(t.platform, t.platform.clock.now());
  });
  afterAll(() => t.close());

  it('allows exactly the moves the state machine allows, and writes nothing otherwise', { timeout: 240_000 }, async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const csrf = await b.csrf();
    let checked = 0;
    for (const from of TASK_STATUSES) {
      for (const form of FORMS) {
        const id = `t-matrix-${from}-${form.action}`;
        const task: Task = {
          resourceType: 'Task', id, status: from, intent: 'order', for: { reference: 'Patient/pat-hollis' },
          owner: { reference: 'Practitioner/pr-nurse' }, description: `Matrix ${from} ${form.action}`, meta: { tag: [recordedByTag(CARE_ORGS.community)] },
          ...(['on-hold', 'rejected', 'cancelled', 'failed'].includes(from) ? { statusReason: { text: 'Set up by the test' } } : {}),
        };
        // Written as the platform (no caller), so any starting status can be set up.
        const made = await t.platform.resources.update('Task', id, task);
        const res = await b.post(`/work/tasks/${id}/${form.action}`, { csrf_token: csrf, version: String(made.versionId), ...form.fields });
        const after = JSON.parse((await t.platform.resources.read('Task', id)).content!) as Task & { meta: { versionId: string } };
        const allowed = from !== form.to && canTransition(from, form.to);
        if (from === form.to) {
          // Asking for the status it already has (a double click) is not an error, and the status stays.
          expect(res.status, `${from} → ${form.action}`).toBe(303);
          expect(after.status).toBe(from);
        } else if (allowed) {
          expect(res.status, `${from} → ${form.action}`).toBe(303);
          expect(after.status, `${from} → ${form.action}`).toBe(form.to);
        } else {
          expect(res.status, `${from} → ${form.action}: ${res.status}`).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(after.meta.versionId, `${from} → ${form.action} wrote`).toBe(String(made.versionId));
          expect(after.status).toBe(from);
        }
        checked++;
      }
    }
    expect(checked).toBe(TASK_STATUSES.length * FORMS.length);
  });
});
