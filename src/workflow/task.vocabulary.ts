/**
 * The words of work passed between people and organisations, defined once (FHIR Task, as the FHIR
 * Workflow module defines it). Every part that writes or reads a Task (the workflow commands, the
 * worklist, the synthetic demo work, the pages) uses these.
 *
 * Conventions:
 * - `Task.for`: the Patient the work is about. `Task.focus`: what it acts on, when there is one.
 * - `Task.owner`: a named person (`Practitioner/{id}`), or a pool: an organisation
 *   (`Organization/{id}`, any of its staff may claim it) or a team (`CareTeam/{id}`, any member
 *   named in `CareTeam.participant.member` may claim it).
 * - `Task.requester`: who asked (`Practitioner/{id}` or `Organization/{id}`); `Task.authoredOn`.
 * - `Task.code`: the kind of work, from TASK_KIND_SYSTEM; `Task.description`: what is asked, in words.
 * - `Task.restriction.period.end`: when it is due. `Task.businessStatus`: a local stage, free text.
 * - `Task.statusReason`: why it is on hold, rejected, cancelled or failed (required for those).
 * - `Task.output` with type OUTCOME_NOTE: the outcome note written on completion.
 */
const BASE = 'https://onestory.example/fhir';

export const TASK_STATUSES = [
  'draft', 'requested', 'received', 'accepted', 'rejected', 'ready', 'cancelled',
  'in-progress', 'on-hold', 'failed', 'completed', 'entered-in-error',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses of work still to be done: what a worklist shows. */
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'];
/** Statuses that end a task: nothing follows them. */
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['rejected', 'cancelled', 'failed', 'completed', 'entered-in-error'];
/** A move into these needs a `statusReason`. */
export const REASON_REQUIRED: readonly TaskStatus[] = ['on-hold', 'rejected', 'cancelled', 'failed'];

/** The kind of work (`Task.code`). */
export const TASK_KIND_SYSTEM = `${BASE}/CodeSystem/task-kind`;
export const TASK_KINDS = {
  'review': 'Review',
  'follow-up': 'Follow-up',
  'visit': 'Home visit',
  'assessment': 'Assessment',
  'referral': 'Referral',
  'discharge': 'Discharge',
  'care-plan-review': 'Care plan review',
  'medication-review': 'Medication review',
  'carer-support': 'Carer support',
  'escalation': 'Escalation',
  'mdt-action': 'MDT action',
  'care-plan-action': 'Care plan action',
  'joint-assessment': 'Joint assessment',
  'joint-assessment-part': 'Part of a joint assessment',
} as const;
export type TaskKind = keyof typeof TASK_KINDS;

/** `Task.output.type` of the outcome note written when a task is completed. */
export const TASK_OUTPUT_SYSTEM = `${BASE}/CodeSystem/task-output`;
export const OUTCOME_NOTE = { system: TASK_OUTPUT_SYSTEM, code: 'outcome-note', display: 'Outcome note' } as const;

/** The overdue escalation's marker: a Task of kind `escalation` whose `partOf` is the overdue Task. */
export const ESCALATION_KIND = 'escalation' satisfies TaskKind;

/** Each status in the words staff read on every page (the worklist, the task, the timeline). */
export const TASK_STATUS_TEXT: Record<TaskStatus, string> = {
  draft: 'Draft',
  requested: 'Requested',
  received: 'Received',
  accepted: 'Accepted',
  rejected: 'Rejected',
  ready: 'Ready',
  cancelled: 'Cancelled',
  'in-progress': 'In progress',
  'on-hold': 'On hold',
  failed: 'Failed',
  completed: 'Completed',
  'entered-in-error': 'Entered in error',
};

/**
 * What a task asks, in one line: its kind and its description, without saying the kind twice when
 * the description already starts with it ("Home visit: blood test", not "Home visit: Home visit: …").
 */
export function taskHeadline(kindText: string, description: string | undefined): string {
  const d = (description ?? '').trim();
  if (!d) return kindText;
  return d.toLowerCase().startsWith(kindText.toLowerCase()) ? d : `${kindText}: ${d}`;
}

/** Statuses in which the owner is the one doing (or who did) the work: "Completed by Ann Lee". */
export const DONE_BY_STATUSES: readonly TaskStatus[] = ['accepted', 'in-progress', 'on-hold', 'completed', 'failed'];
