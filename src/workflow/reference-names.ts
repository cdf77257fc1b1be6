import { restrictionFor } from '../access/policy/index.js';
import type { Principal } from '../access/principal.js';
import type { Queryable } from '../db/database.js';
import { localReference } from '../fhir/reference.js';
import { Params } from '../fhir/search.repository.js';
import { conceptText, nameOf } from '../record-view/fhir-text.js';

/** Who a reference may name on a list or a plan: people and teams, never a clinical entry. */
export const NAMED_TYPES = ['Practitioner', 'PractitionerRole', 'Organization', 'CareTeam', 'HealthcareService', 'Patient', 'RelatedPerson'] as const;

/**
 * The names of the resources `refs` point to (`Type/id` → name), as far as the caller may see them,
 * in one statement. For references written without a display (a partner's, the synthetic
 * population's): a page shows a name, never "Organization/org-pcn-u82010".
 */
export async function referenceNames(db: Queryable, p: Principal, now: Date, refs: (string | undefined)[], types: readonly string[] = NAMED_TYPES): Promise<Map<string, string>> {
  const wanted = [...new Set(refs.map((r) => localReference(r)).filter((r) => r && types.includes(r.type)).map((r) => `${r!.type}/${r!.id}`))];
  if (wanted.length === 0) return new Map();
  const params = new Params();
  const typeList = params.add(wanted.map((w) => w.split('/')[0]), 'text[]');
  const ids = params.add(wanted.map((w) => w.split('/')[1]), 'text[]');
  const r = restrictionFor(p, now)('n', '', params);
  const res = await db.query<{ resource_type: string; id: string; content: string }>(
    `SELECT n.resource_type, n.id, n.content FROM resource n
      WHERE (n.resource_type, n.id) IN (SELECT * FROM unnest(${typeList}, ${ids})) AND NOT n.deleted${r ? ` AND ${r}` : ''}`,
    params.values,
  );
  return new Map(res.rows.map((row) => [`${row.resource_type}/${row.id}`, displayNameOf(row.resource_type, JSON.parse(row.content))]));
}

/**
 * Gives a name to each of `named` that has only its reference for one (written without a display),
 * in one statement, as far as the caller may see them; one that cannot be named says so.
 */
export async function nameUnnamed(db: Queryable, p: Principal, now: Date, named: { reference: string; name: string }[]): Promise<void> {
  const unnamed = named.filter((n) => n.name === n.reference);
  if (unnamed.length === 0) return;
  const names = await referenceNames(db, p, now, unnamed.map((n) => n.reference));
  for (const n of unnamed) n.name = names.get(n.reference) ?? 'Name not recorded, or not shown to you';
}

/**
 * How a list names who asked or who owns a task. A PractitionerRole has no name of its own: it is
 * its practitioner and role ("Karen Mensah, General practitioner"); a list once showed the word
 * "PractitionerRole" for every task a role asked.
 */
export function displayNameOf(type: string, r: any): string {
  if (type === 'PractitionerRole') {
    const who = typeof r?.practitioner?.display === 'string' ? r.practitioner.display.trim() : '';
    const role = conceptText(r?.code?.[0]);
    return [who, role].filter(Boolean).join(', ') || 'A member of staff (name not recorded)';
  }
  return nameOf(r) || 'Name not recorded';
}
