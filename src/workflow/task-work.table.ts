import type { Task } from '@medplum/fhirtypes';
import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';
import { localReference } from '../fhir/reference.js';
import { recordedByTags } from '../access/policy/policy-codes.js';
import { TASK_KIND_SYSTEM } from './task.vocabulary.js';

/** A FHIR date or dateTime as an instant the database can compare; undefined when unreadable. */
function instant(v: string | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  // A date alone is due at the end of that day would be kinder, but the start is what FHIR means by it.
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : /^\d{4}-\d{2}$/.test(v) ? `${v}-01T00:00:00Z` : v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The worklist's columns of one Task (see migration 008). */
export function taskWorkRow(t: Task): unknown[] {
  const owner = localReference(t.owner?.reference);
  const patient = localReference(t.for?.reference);
  const kind = t.code?.coding?.find((c) => c.system === TASK_KIND_SYSTEM)?.code ?? null;
  const from = recordedByTags(t)[0]?.code ?? null;
  return [
    t.status ?? 'draft',
    owner ? `${owner.type}/${owner.id}` : null,
    patient?.type === 'Patient' ? patient.id : null,
    instant(t.restriction?.period?.end) ?? null,
    instant(t.authoredOn) ?? null,
    kind,
    from,
  ];
}

/** task_work, kept in step with every Task write (registered in src/platform.ts). */
export const TASK_WORK_TABLE: DerivedTable = {
  table: 'task_work',
  columns: ['status', 'owner', 'patient_id', 'due', 'authored_on', 'kind', 'from_org'],
  types: ['text', 'text', 'text', 'timestamptz', 'timestamptz', 'text', 'text'],
  rows: (w: VersionWrite) => (w.resourceType === 'Task' && w.content ? [taskWorkRow(JSON.parse(w.content) as Task)] : []),
};
