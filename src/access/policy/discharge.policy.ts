import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';

/**
 * Discharge from hospital and the mental health pathways (src/discharge, src/pathways):
 * - `discharge.board`, `discharge.hub`: clinical staff of any organisation see the board and the
 *   hub (what each discharge needs from them); which people they see is the row restriction's call.
 * - `discharge.plan`: recording the criteria to reside, the dates, the pathway, the plan shared
 *   with the person and the discharge itself is the trust's own work: a discharge coordinator of
 *   the organisation providing the stay. The caller passes the stay's provider.
 * - `pathways.board`: the mental health pathway board, for mental health practitioners.
 */
export type DischargeVerb = 'discharge.board' | 'discharge.hub' | 'discharge.plan' | 'pathways.board';

export interface DischargeSubject {
  /** The organisation providing the stay (Encounter.serviceProvider). */
  providerOrg?: string;
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

export function canDischarge(p: Principal, verb: DischargeVerb, s: DischargeSubject | undefined): Decision {
  if (p.kind !== 'staff') return deny('discharge planning is staff work');
  switch (verb) {
    case 'discharge.board':
    case 'discharge.hub':
      return CLINICAL_ROLES.includes(p.role) ? allow('clinical staff see discharges under their row restriction') : deny(`${p.role} does not plan discharges`);
    case 'discharge.plan':
      if (p.role !== 'discharge-coordinator') return deny('the discharge is planned by the trust\'s discharge coordinators');
      if (!s?.providerOrg) return deny('discharge.plan needs the stay\'s trust');
      return s.providerOrg === p.organizationId ? allow('a discharge coordinator of the trust providing the stay') : deny('the stay is at another trust: only its own discharge coordinators plan the discharge');
    case 'pathways.board':
      return p.role === 'mental-health-practitioner' ? allow('mental health practitioners work the pathways') : deny('the pathway board is for mental health practitioners');
  }
}
