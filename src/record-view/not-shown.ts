import { ROLE_NAMES, type Principal } from '../access/principal.js';

/** The parts of the record page, and the resource types each shows. */
export const RECORD_PARTS = {
  careTeam: { words: 'the care team', types: ['CareTeam'] },
  whatMatters: { words: 'goals and what matters to them', types: ['Goal'] },
  alerts: { words: 'alerts', types: ['Flag'] },
  problems: { words: 'health problems and diagnoses', types: ['Condition'] },
  medicines: { words: 'medicines', types: ['MedicationRequest', 'MedicationStatement'] },
  allergies: { words: 'allergies', types: ['AllergyIntolerance'] },
  carers: { words: 'carers and contacts', types: ['RelatedPerson'] },
  carePlan: { words: 'care plans', types: ['CarePlan'] },
  referrals: { words: 'referrals', types: ['ServiceRequest'] },
} as const;
export type RecordPart = keyof typeof RECORD_PARTS;

/** Timeline kinds the caller cannot see at all, in words ("diagnoses and problems, medicines"). */
export interface NotShown {
  /** For each part the caller may not see: why, in plain words. Absent: shown (what is there is all there is). */
  parts: Partial<Record<RecordPart, string>>;
  /** The timeline's kinds hidden from the caller, said once above the timeline; undefined when none. */
  timeline?: string;
}

/**
 * What the access policy hides from this caller by kind of information, said in words, so that no
 * page shows "none recorded" for something the caller simply may not see: a staff role that does not
 * read a type ("not shown to your role"), or a carer the person has not shared it with. `visible` is the
 * set of types the caller may see for this person (undefined: every type). Rows hidden one by one
 * (labels, another person's consent, a sharing objection) are counted separately (RecordSummary.withheld).
 */
export function notShownTo(p: Principal, visible: ReadonlySet<string> | undefined, personName: string, timelineKinds: Record<string, { label: string; types: readonly string[] }>): NotShown {
  if (!visible) return { parts: {} };
  const why = (words: string) =>
    p.kind === 'staff'
      ? `Information about ${words} is not shown to your role (${ROLE_NAMES[p.role]}). This does not mean there is none.`
      : p.kind === 'proxy'
        ? `${personName} has not shared ${words} with you. This does not mean there are none.`
        : `Information about ${words} is not shown here. This does not mean there is none.`;
  const parts: NotShown['parts'] = {};
  for (const [part, def] of Object.entries(RECORD_PARTS) as [RecordPart, (typeof RECORD_PARTS)[RecordPart]][]) {
    if (def.types.every((t) => !visible.has(t))) parts[part] = why(def.words);
  }
  // A VCSE worker reads referrals, but only those sent to their own organisation (row-restriction.ts).
  if (p.kind === 'staff' && p.role === 'vcse-worker' && !parts.referrals) {
    parts.referrals = `Information about referrals is not shown to your role (${ROLE_NAMES[p.role]}), except referrals sent to your organisation. This does not mean there is none.`;
  }
  const hiddenKinds = Object.values(timelineKinds).filter((k) => k.types.every((t) => !visible.has(t))).map((k) => k.label.toLowerCase());
  const timeline = hiddenKinds.length === 0 ? undefined
    : p.kind === 'staff' ? `Not shown to your role (${ROLE_NAMES[p.role]}): ${hiddenKinds.join('; ')}.`
      : p.kind === 'proxy' ? `${personName} has not shared these with you: ${hiddenKinds.join('; ')}.`
        : `Not shown here: ${hiddenKinds.join('; ')}.`;
  return { parts, timeline };
}
