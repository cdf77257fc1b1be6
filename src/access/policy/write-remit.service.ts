import type { Resource, Task } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import type { Principal } from '../principal.js';
import { refKey } from './relationship.rules.js';
import { recordedByOf } from './policy-codes.js';
import { can, isWrite, linkedPatients, type Action, type Decision } from './policy.js';
import { isRecordType } from './resource-classes.js';
import { restrictionFor } from './row-restriction.js';
import { taskRemit } from './task-remit.js';
import { VisibilityRepository } from './visibility.repository.js';

export interface WriteDecision extends Decision {
  /** Answer 404, not 403: the target is hidden from this principal (existence must not leak). */
  notFound?: boolean;
}

/**
 * A write within the writer's organisation's remit, decided with the record in hand:
 * - the current version (update, patch, delete) must be visible to the writer (else "not found"),
 *   and, for staff and system clients, be *theirs to change*: recorded by their organisation, or a
 *   Task owned by it, a ServiceRequest it is to perform, or a Patient registered with it;
 * - every patient the new version links to must be visible to the writer (a care relationship or
 *   break-glass; residents and proxies: themselves or the granted person), so nobody writes into
 *   the record of a person they are not caring for.
 */
export class WriteRemitService {
  private readonly visibility = new VisibilityRepository();

  constructor(private readonly db: Queryable) {}

  async checkWrite(
    p: Principal, action: Action, type: string, now: Date, resource?: Resource, current?: Resource,
    /** Patients the same statement registers (a transaction's new entries), already checked: visible to this writer. */
    pendingPatients?: ReadonlySet<string>,
  ): Promise<WriteDecision> {
    const d = can(p, action, type, resource);
    if (!d.allowed || !isWrite(action) || !isRecordType(type)) return d;
    const restriction = restrictionFor(p, now);
    if (current) {
      if (!current.id || !(await this.visibility.visible(this.db, restriction, type, current.id))) {
        return { allowed: false, reason: `${type}/${current.id} is not known`, notFound: true };
      }
      if (type === 'Task' && (p.kind === 'staff' || p.kind === 'client')) {
        // Who may change a Task, its status or its owner: the task verbs (task.policy.ts).
        const t = await taskRemit(this.db, p, current as Task, resource as Task | undefined);
        if (!t.allowed) return t;
      } else if ((p.kind === 'staff' || p.kind === 'client') && !(await theirsToChange(this.db, current, p.organizationId))) {
        return { allowed: false, reason: 'only the organisation that recorded it (or the referral performer or registered practice) may change it' };
      }
      if (p.kind === 'resident' || p.kind === 'proxy') return { allowed: false, reason: 'people add to their record; they do not change or delete entries' };
      const allowedTags = new Set([...recordedByOf(current), ...(p.kind === 'staff' || p.kind === 'client' ? [p.organizationId] : [])]);
      if (resource && recordedByOf(resource).some((o) => !allowedTags.has(o))) {
        return { allowed: false, reason: 'an update keeps the recording organisation; it cannot name another' };
      }
    }
    if (resource) {
      // A new Patient (create) is not visible yet: registering someone is allowed if it names the
      // writer's organisation (below). Only its own id is exempt: every Patient it links to must be visible.
      const registering = (id: string) => type === 'Patient' && !current && id === resource.id;
      // Only the patients not already accounted for are asked about (none, for a new Patient without links: no query).
      const asked = linkedPatients(resource).filter((id) => !pendingPatients?.has(id) && !registering(id));
      const seen = await this.visibility.visiblePatients(this.db, restriction, asked);
      const missing = asked.filter((id) => !seen.has(id));
      if (missing.length > 0) {
        return { allowed: false, reason: `no care relationship with Patient/${missing[0]}`, notFound: true };
      }
      if (type === 'Patient' && !current && (p.kind === 'staff' || p.kind === 'client') && !registeredWith(resource, p.organizationId) && !recordedBy(resource, p.organizationId)) {
        return { allowed: false, reason: 'a new Patient must be registered with or recorded by the writer\'s organisation' };
      }
    }
    return { allowed: true, reason: d.reason };
  }
}

function recordedBy(r: Resource, org: string): boolean {
  return recordedByOf(r).includes(org);
}

function registeredWith(r: any, org: string): boolean {
  return [...(r.generalPractitioner ?? []), r.managingOrganization].some((x) => {
    const k = refKey(x);
    return k?.type === 'Organization' && k.id === org;
  });
}

async function theirsToChange(q: Queryable, r: any, org: string): Promise<boolean> {
  if (recordedBy(r, org)) return true;
  const isOrg = (x: unknown) => {
    const k = refKey(x as { reference?: string });
    return k?.type === 'Organization' && k.id === org;
  };
  if (r.resourceType === 'ServiceRequest') {
    if ((r.performer ?? []).some(isOrg)) return true;
    // A referral to one of the organisation's services (HealthcareService.providedBy) is theirs to answer.
    const services = (r.performer ?? []).map((x: unknown) => refKey(x as { reference?: string })).filter((k: any) => k?.type === 'HealthcareService').map((k: any) => k.id as string);
    if (services.length === 0) return false;
    const res = await q.query(
      `SELECT 1 FROM sp_reference s JOIN resource h ON h.rid = s.rid AND NOT h.deleted
        WHERE s.resource_type = 'HealthcareService' AND s.code = 'organization' AND s.target_type = 'Organization' AND s.target_id = $1 AND h.id = ANY($2::text[]) LIMIT 1`,
      [org, services],
    );
    return res.rows.length > 0;
  }
  if (r.resourceType === 'Patient') return registeredWith(r, org);
  return false;
}
