import type { TestPlatform } from '../../testing/test-platform.js';
import type { Principal } from '../principal.js';
import { restrictionFor } from './row-restriction.js';
import { VisibilityRepository } from './visibility.repository.js';
import { NOW } from './policy.fixtures.js';
import { everything } from '../../fhir/everything.service.js';

/** Runs a search as `p` (restricted in SQL, as the routes will); returns match ids, included ids and _total. */
export async function searchAs(t: TestPlatform, p: Principal, type: string, query = '', now = NOW) {
  if (type === 'AuditEvent') {
    // AuditEvents are served from the audit table (src/access/audit/audit-event.service.ts), under the same rule.
    const r = await t.platform.access.auditEvents.search([...new URLSearchParams(`${query}&_total=accurate`)] as [string, string][], { principal: p });
    return { ids: r.matches.map((m) => m.id).sort(), included: [] as string[], total: r.total };
  }
  const s = t.platform.resources.search;
  const q = s.parse(type, [...new URLSearchParams(query)] as [string, string][]);
  q.total = 'accurate';
  const r = await s.run(q, { restriction: restrictionFor(p, now) });
  return { ids: r.matches.map((m) => m.id).sort(), included: r.included.map((m) => `${m.resource_type}/${m.id}`).sort(), total: r.total };
}

/** A read as `p`: true when visible, false for hidden and missing alike. */
export function readAs(t: TestPlatform, p: Principal, type: string, id: string, now = NOW): Promise<boolean> {
  if (type === 'AuditEvent') return t.platform.access.auditEvents.read(id, { principal: p }).then(() => true, () => false);
  return new VisibilityRepository().visible(t.platform.db, restrictionFor(p, now), type, id);
}

export async function everythingAs(t: TestPlatform, p: Principal, patientId: string, now = NOW) {
  const r = await everything(t.platform.db, patientId, { restriction: restrictionFor(p, now) });
  return [...r.matches, ...r.included].map((m) => `${m.resource_type}/${m.id}`).sort();
}
