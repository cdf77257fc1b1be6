import type { StaffRole } from '../principal.js';
import { ACT_CODE_SYSTEM, CONFIDENTIALITY_SYSTEM, ONESTORY_LABEL_SYSTEM, WITHHELD_FROM_PATIENT } from './policy-codes.js';

/**
 * Sensitive-information labels (meta.security) and who may see entries that carry them. An entry
 * with several labels must be allowed by every one. The recording organisation always sees its own
 * entries; break-glass does not lift a label (it grants a relationship, not a need to know the
 * sensitive part). docs/access-policy.md shows this table; it is generated from here.
 */
export interface SensitiveLabel {
  system: string;
  code: string;
  meaning: string;
  /** Staff roles allowed to see it (at any organisation with a relationship). */
  roles: readonly StaffRole[];
}

export const SENSITIVE_LABELS: readonly SensitiveLabel[] = [
  { system: ACT_CODE_SYSTEM, code: 'PSY', meaning: 'mental health (psychiatry disorder information)', roles: ['gp', 'mental-health-practitioner'] },
  { system: ACT_CODE_SYSTEM, code: 'ETH', meaning: 'substance misuse (alcohol or drug)', roles: ['gp', 'mental-health-practitioner'] },
  { system: ACT_CODE_SYSTEM, code: 'SEX', meaning: 'sexuality and reproductive health', roles: ['gp', 'practice-nurse'] },
  { system: ACT_CODE_SYSTEM, code: 'STD', meaning: 'sexually transmitted disease', roles: ['gp', 'practice-nurse'] },
  { system: ACT_CODE_SYSTEM, code: 'HIV', meaning: 'HIV/AIDS', roles: ['gp'] },
  { system: ACT_CODE_SYSTEM, code: 'SDV', meaning: 'sexual assault, abuse or domestic violence', roles: ['gp', 'social-worker', 'mental-health-practitioner'] },
  { system: ONESTORY_LABEL_SYSTEM, code: 'safeguarding', meaning: 'safeguarding (child or adult at risk)', roles: ['gp', 'social-worker'] },
  { system: CONFIDENTIALITY_SYSTEM, code: 'V', meaning: 'very restricted: the recording organisation only', roles: [] },
];

export const labelKey = (l: { system: string; code: string }) => `${l.system}|${l.code}`;

/** The labels a staff role may not see (outside its own organisation's entries). */
export function labelsDeniedTo(role: StaffRole | undefined): string[] {
  return SENSITIVE_LABELS.filter((l) => !role || !l.roles.includes(role)).map(labelKey);
}

/** Residents see their own sensitive entries; only this label hides an entry from them. */
export const LABELS_DENIED_TO_RESIDENT = [labelKey(WITHHELD_FROM_PATIENT)];

/** Proxies see no sensitive entry and nothing withheld from the person. */
export const LABELS_DENIED_TO_PROXY = [...SENSITIVE_LABELS.map(labelKey), labelKey(WITHHELD_FROM_PATIENT)];
