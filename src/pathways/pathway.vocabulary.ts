/**
 * The mental health pathways and their clocks, defined once (issue 13 part 5). A referral onto a
 * pathway is a ServiceRequest and a Task (kind `referral`) whose second coding names the pathway
 * (PATHWAY_SYSTEM); the Task's `authoredOn` starts the clock and `restriction.period.end` is when
 * the standard is breached; the clock stops when the Task is completed (seen / treatment started).
 * An out-of-area placement is an Encounter (class IMP) with the OUT_OF_AREA extensions.
 */
const BASE = 'https://onestory.example/fhir';
export const MH_PATHWAY_SYSTEM = `${BASE}/CodeSystem/mh-pathway`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const MH_PATHWAYS = {
  crisis: { text: 'Crisis response and street triage', standard: 'Seen within 24 hours of referral (very urgent: 4 hours)', clockMs: 24 * HOUR },
  fep: { text: 'First episode of psychosis', standard: 'Treatment starts within 2 weeks of referral', clockMs: 14 * DAY },
  core24: { text: 'Core 24 liaison psychiatry (emergency department)', standard: 'Seen within 1 hour of referral', clockMs: HOUR },
  perinatal: { text: 'Perinatal mental health (mother and infant)', standard: 'Assessed within 2 weeks of referral (local standard)', clockMs: 14 * DAY },
} as const;
export type MhPathway = keyof typeof MH_PATHWAYS;
export const isMhPathway = (v: unknown): v is MhPathway => typeof v === 'string' && Object.hasOwn(MH_PATHWAYS, v);

/** Out-of-area placement: Encounter extensions. */
export const OUT_OF_AREA = {
  placement: `${BASE}/StructureDefinition/out-of-area-placement`,
  reason: `${BASE}/StructureDefinition/out-of-area-reason`,
  appropriate: `${BASE}/StructureDefinition/out-of-area-appropriate`,
} as const;
export const OUT_OF_AREA_REASONS = {
  'no-local-bed': 'No local bed available',
  'specialist-care': 'Specialist care not provided locally (appropriate)',
  'safeguarding': 'Safeguarding: away from the home area (appropriate)',
  'person-choice': 'The person’s or family’s choice (appropriate)',
} as const;
export type OutOfAreaReason = keyof typeof OUT_OF_AREA_REASONS;
export const isOutOfAreaReason = (v: unknown): v is OutOfAreaReason => typeof v === 'string' && Object.hasOwn(OUT_OF_AREA_REASONS, v);

/** Flag people this many days before their 18th birthday: the move from children's to adult services is planned ahead. */
export const TRANSITION_NOTICE_DAYS = 183;

/** How a clock stands: time waited, time left (negative when breached), and whether it is near its limit (a fifth of the clock left). */
export function clockOf(pathway: MhPathway, referred: Date, now: Date): { waitedMs: number; leftMs: number; breached: boolean; near: boolean } {
  const clock = MH_PATHWAYS[pathway].clockMs;
  const waitedMs = Math.max(0, now.getTime() - referred.getTime());
  const leftMs = clock - waitedMs;
  return { waitedMs, leftMs, breached: leftMs < 0, near: leftMs >= 0 && leftMs <= clock / 5 };
}

/** A duration in words: "3 days 4 hours", "45 minutes". */
export function durationText(ms: number): string {
  const m = Math.floor(Math.abs(ms) / MINUTE);
  const d = Math.floor(m / (24 * 60));
  const h = Math.floor((m % (24 * 60)) / 60);
  const min = m % 60;
  const parts = d > 0 ? [`${d} ${d === 1 ? 'day' : 'days'}`, ...(h ? [`${h} ${h === 1 ? 'hour' : 'hours'}`] : [])]
    : h > 0 ? [`${h} ${h === 1 ? 'hour' : 'hours'}`, ...(min ? [`${min} min`] : [])] : [`${min} ${min === 1 ? 'minute' : 'minutes'}`];
  return parts.join(' ');
}
