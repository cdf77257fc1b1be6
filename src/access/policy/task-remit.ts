import type { Task } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import type { ClientPrincipal, StaffPrincipal } from '../principal.js';
import { can, type Decision } from './policy.js';
import { isPoolOwner, isRequesterSide, ownerRef, ownsTask, personRef, type TaskSubject } from './task.policy.js';
import { refKey } from './relationship.rules.js';
import { TeamMembershipRepository } from './team-membership.repository.js';

/**
 * The write remit for a Task (write-remit.service.ts calls it for every update, patch or delete of
 * a Task by staff or a system client, on every write path): the task must be theirs to change (the
 * organisation that recorded it, or its owner), and a change of `owner` or `status` must be one the
 * task verbs allow: `task.claim` (a pool member taking it for themself), `task.reassign`,
 * `task.transition`. Decided against the version stored now, so nobody can first make themself the
 * owner and change the status in the same write.
 */
export async function taskRemit(q: Queryable, p: StaffPrincipal | ClientPrincipal, current: Task, next?: Task): Promise<Decision> {
  const teams = [current.owner, next?.owner].map((r) => refKey(r)).filter((k) => k?.type === 'CareTeam').map((k) => k!.id);
  const s: TaskSubject = { task: current, teamIds: await new TeamMembershipRepository().memberOf(q, p, teams) };
  if (!ownsTask(p, s) && !isRequesterSide(p, current)) {
    return { allowed: false, reason: 'only the organisation that recorded it, or the Task\'s owner, may change it' };
  }
  if (!next) return { allowed: true, reason: 'theirs to change' };
  const from = ownerRef(current);
  const to = ownerRef(next);
  let claimed = false;
  if (from !== to) {
    // Naming oneself as the owner of a pool task is a claim; when the principal is not in the pool,
    // it may still be the requester's side redirecting its own request (a reassignment).
    claimed = isPoolOwner(from) && !!to && to === personRef(p) && can(p, 'task.claim', s).allowed;
    const d = can(p, claimed ? 'task.claim' : 'task.reassign', s);
    if (!d.allowed) return d;
  }
  // A claim may accept a task that was only requested or received (TaskService.claim does so).
  const accepting = claimed && next.status === 'accepted' && (current.status === 'requested' || current.status === 'received');
  if (next.status !== current.status && !accepting) {
    const d = can(p, 'task.transition', { ...s, to: next.status });
    if (!d.allowed) return d;
  }
  return { allowed: true, reason: 'the task\'s owner, within the task verbs' };
}
