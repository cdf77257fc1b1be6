import type { Coding, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import { forbidden, notFound } from '../../fhir/outcome.js';
import type { GuardedWrite, Interaction, RecordAccess, RequestContext } from '../../fhir/request-context.js';
import type { Principal } from '../principal.js';
import { RECORDED_BY_SYSTEM, recordedByOf, recordedByTag, recordedByTags } from './policy-codes.js';
import { can, linkedPatients } from './policy.js';
import { restrictionFor } from './row-restriction.js';
import { WriteRemitService } from './write-remit.service.js';

/**
 * The access policy as the record's services see it for one request: every interaction is
 * decided by can(), every row read passes the principal's row restriction, and every write goes
 * through WriteRemitService with the version it replaces, then is stamped with who recorded it.
 */
export function accessContext(p: Principal, now: Date): Required<Pick<RequestContext, 'restriction' | 'access'>> {
  return { restriction: restrictionFor(p, now), access: new PolicyRecordAccess(p, now) };
}

export class PolicyRecordAccess implements RecordAccess {
  constructor(private readonly p: Principal, private readonly now: Date) {}

  authorize(interaction: Interaction, type: string): void {
    const d = can(this.p, interaction, type);
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  async checkWrite(q: Queryable, w: GuardedWrite, pendingPatients?: ReadonlySet<string>): Promise<Resource | undefined> {
    // What the client sent is judged first (a body claiming another organisation is refused, not rewritten);
    // the rest with the version as it will be stored, stamped with its recorder.
    if (w.resource) {
      const sent = can(this.p, w.action, w.type, w.resource);
      if (!sent.allowed) throw forbidden(`Not allowed: ${sent.reason}`);
    }
    const stored = w.resource ? stamp(this.p, w.resource, w.current) : undefined;
    const d = await new WriteRemitService(q).checkWrite(this.p, w.action, w.type, this.now, stored, w.current, pendingPatients);
    if (!d.allowed) {
      if (d.notFound) throw notFound(d.reason);
      throw forbidden(`Not allowed: ${d.reason}`);
    }
    return stored;
  }

  mayKnowDeleted(lastLive: Resource): boolean {
    const p = this.p;
    if (p.kind === 'staff' || p.kind === 'client') {
      return recordedByOf(lastLive).includes(p.organizationId);
    }
    if (p.kind === 'resident') {
      const pats = linkedPatients(lastLive);
      return pats.length > 0 && pats.every((id) => id === p.patientId);
    }
    return false;
  }
}

/** Where a version came from, in `meta.source`: the user or system client who wrote it. */
export function sourceOf(p: Principal): string {
  return `urn:onestory:${p.kind === 'client' ? 'client' : 'user'}:${p.id}`;
}

/**
 * Records who wrote a version and for which organisation (docs/access-policy.md): staff and
 * system clients tag it with the recording organisation (on an update, the original recorder's
 * tag is kept; the client cannot set it), residents and proxies carry none; `meta.source` names
 * the writer. With `lastUpdated`, that is who, for which organisation and when.
 */
export function stamp(p: Principal, resource: Resource, current?: Resource): Resource {
  const others = (resource.meta?.tag ?? []).filter((t) => t.system !== RECORDED_BY_SYSTEM);
  let recorders: Coding[] = [];
  if (p.kind === 'staff' || p.kind === 'client') {
    const kept = recordedByTags(current).filter((t) => t.code);
    recorders = kept.length > 0 ? kept : [recordedByTag(p.organizationId)];
  }
  const tag = [...others, ...recorders];
  const { tag: _old, ...meta } = resource.meta ?? {};
  return { ...resource, meta: { ...meta, ...(tag.length > 0 ? { tag } : {}), source: sourceOf(p) } } as Resource;
}
