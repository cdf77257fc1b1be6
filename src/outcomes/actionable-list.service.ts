import type { Principal } from '../access/principal.js';
import { can, restrictionFor, SMALL_NUMBER_THRESHOLD } from '../access/policy/index.js';
import { badRequest, forbidden, notFound } from '../fhir/outcome.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { ageOn, nameOf } from '../record-view/fhir-text.js';
import { ACTIONABLE_LISTS, actionableListOf, type ActionableList } from './actionable-list.definitions.js';
import type { ActionableListRepository } from './actionable-list.repository.js';
import type { Indicator, IndicatorRegistry } from './indicator.registry.js';

/** At most this many people are named on one page of a list. */
export const PEOPLE_SHOWN = 200;

export interface ListScope { kind: 'practice' | 'pcn'; id: string; name: string }

export interface ListMember {
  id: string;
  name: string;
  nhsNumber?: string;
  age?: number;
  /** The day of the evidence that puts them on the list (YYYY-MM-DD). */
  date: string;
  detail: string;
}

export interface PeopleBehind {
  indicator: Indicator;
  list: ActionableList;
  /** The practice or network the list is for (none: everyone in the reader's care). */
  scope?: ListScope;
  scopes: ListScope[];
  asOf: string;
  members: ListMember[];
  /** How many the reader sees by name (beyond the page shown). */
  named: number;
  /** How many others match whom the reader may not see by name: null when 1 to 4 (said as "fewer than 5"). */
  notNamed: { count: number | null; suppressed: boolean };
}

/**
 * From a number to the people behind it (issue 14 part 9): for a clinician, the people registered
 * with their practice (or network) who are in an indicator's figure and have not had the action
 * that would change it. Clinical staff only (`outcomes.people`; analysts are refused with the
 * reason); who is named is the row restriction's decision, on the Patient and on the evidence.
 */
export class ActionableListService {
  constructor(private readonly registry: IndicatorRegistry, private readonly repo: ActionableListRepository) {}

  /** Refuses (403, with the reason) anyone who may not see the people behind an indicator. */
  authorise(p: Principal): void {
    const d = can(p, 'outcomes.people');
    if (!d.allowed) throw forbidden(`The people behind an indicator are listed only to clinicians, for the people in their care: ${d.reason}.`);
  }

  /** The indicators with a list behind them. */
  lists(): { indicator: Indicator; list: ActionableList }[] {
    return ACTIONABLE_LISTS.map((list) => ({ indicator: this.registry.get(list.indicatorId)!, list }));
  }

  /** The practice the user works for (if people are registered with it) and its network; a network's user gets the network and its practices. */
  async scopesFor(p: Principal): Promise<ListScope[]> {
    if (p.kind !== 'staff') return [];
    const org = await this.repo.organisation(p.organizationId);
    if (!org) return [];
    const out: ListScope[] = [];
    if (org.registers) out.push({ kind: 'practice', id: p.organizationId, name: org.name });
    if (org.registers && org.partOf) out.push({ kind: 'pcn', ...org.partOf });
    if (!org.registers && org.members.length > 0) {
      out.push({ kind: 'pcn', id: p.organizationId, name: org.name }, ...org.members.map((m) => ({ kind: 'practice' as const, ...m })));
    }
    return out;
  }

  /** The list behind `indicatorId` for the chosen scope (`practice:<id>` or `pcn:<id>`), else the user's first, else everyone in their care. */
  async people(p: Principal, indicatorId: string, now: Date, chosen?: string): Promise<PeopleBehind> {
    this.authorise(p);
    const indicator = this.registry.get(indicatorId);
    if (!indicator) throw notFound(`There is no indicator '${indicatorId}': the strategy's indicators are O1.1 to O6.5.`);
    const list = actionableListOf(indicatorId);
    if (!list) {
      throw notFound(`There is no list of people behind ${indicatorId}: lists exist for ${ACTIONABLE_LISTS.map((l) => l.indicatorId).join(', ')}, where a clinician can act on a person.`);
    }
    const scopes = await this.scopesFor(p);
    const scope = chosen ? scopes.find((s) => `${s.kind}:${s.id}` === chosen) : scopes[0];
    if (chosen && !scope) throw badRequest('Choose your own practice or primary care network', 'scope');
    const practices = !scope ? undefined : scope.kind === 'practice' ? [scope.id] : await this.repo.practicesOf(scope.id);
    const asOf = now.toISOString().slice(0, 10);
    const m = await this.repo.members(list, asOf, practices, restrictionFor(p, now), PEOPLE_SHOWN);
    const hidden = m.total - m.visible;
    return {
      indicator, list, scope, scopes, asOf, named: m.visible,
      notNamed: hidden > 0 && hidden < SMALL_NUMBER_THRESHOLD ? { count: null, suppressed: true } : { count: hidden, suppressed: false },
      members: m.rows.map((r) => {
        const pt = JSON.parse(r.content) as { identifier?: { system?: string; value?: string }[]; birthDate?: string };
        return {
          id: r.patient_id, name: nameOf(pt), nhsNumber: pt.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value,
          age: ageOn(pt.birthDate, now), date: r.evidence_date, detail: r.detail,
        };
      }),
    };
  }
}
