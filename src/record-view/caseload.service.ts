import { restrictionFor } from '../access/policy/index.js';
import type { Principal } from '../access/principal.js';
import type { Queryable } from '../db/database.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { CaseloadRepository } from './caseload.repository.js';
import { ageOn, humanName, postcodeOf } from './fhir-text.js';

export interface CaseloadPerson {
  id: string;
  name: string;
  nhsNumber?: string;
  age?: number;
  postcode?: string;
}

export const CASELOAD_PAGE_SIZE = 25;

/** "My people": whom a member of staff (or their organisation) is recorded as caring for, so they can find them without an NHS number. */
export class CaseloadService {
  private readonly repo: CaseloadRepository;

  constructor(db: Queryable) {
    this.repo = new CaseloadRepository(db);
  }

  async page(p: Principal, now: Date, cursor?: string): Promise<{ people: CaseloadPerson[]; next?: string }> {
    if (p.kind !== 'staff') return { people: [] };
    const parties = [`Organization/${p.organizationId}`, ...(p.practitionerId ? [`Practitioner/${p.practitionerId}`] : [])];
    const { rows, next } = await this.repo.page(parties, restrictionFor(p, now), { cursor, count: CASELOAD_PAGE_SIZE });
    const people = rows.map((r) => {
      const pt = JSON.parse(r.content);
      return {
        id: pt.id, name: humanName(pt.name) || 'Name not recorded', age: ageOn(pt.birthDate, now), postcode: postcodeOf(pt.address) || undefined,
        nhsNumber: (pt.identifier ?? []).find((i: { system?: string }) => i?.system === NHS_NUMBER_SYSTEM)?.value,
      };
    });
    return { people, next };
  }
}
