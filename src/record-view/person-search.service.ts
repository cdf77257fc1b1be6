import type { Queryable } from '../db/database.js';
import type { Principal } from '../access/principal.js';
import { restrictionFor, roleRule } from '../access/policy/index.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { badRequest } from '../fhir/outcome.js';
import type { SearchService } from '../fhir/search.service.js';
import { ageOn, humanName, nameOf, postcodeOf, refId } from './fhir-text.js';

/** Just enough to tell people apart in a list of results. */
export interface PersonMatch {
  id: string;
  name: string;
  nhsNumber?: string;
  birthDate?: string;
  age?: number;
  gender?: string;
  postcode?: string;
  gp?: string;
}

export interface PersonSearchResult {
  matches: PersonMatch[];
  /** More matched than are shown: the user should narrow the search. */
  more: boolean;
  /**
   * An NHS number search found a person this user has no relationship with. Only the id is given
   * (to request break-glass), never their details, and only to staff whose role may break glass.
   */
  unrelated?: { patientId: string };
}

export const MAX_MATCHES = 20;
const POSTCODE = /^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*([0-9][A-Za-z]{2})?$/;

/** Finding a person by NHS number, or by name and date of birth (and postcode), through the principal's restriction. */
export class PersonSearchService {
  constructor(private readonly db: Queryable, private readonly search: SearchService) {}

  async byNhsNumber(principal: Principal, nhsNumber: string, now: Date): Promise<PersonSearchResult> {
    const digits = nhsNumber.replace(/[\s-]/g, '');
    if (!/^\d{10}$/.test(digits)) throw badRequest('Enter an NHS number of 10 digits, like 999 123 4567', 'nhs-number');
    if (!isValidNhsNumber(digits)) throw badRequest('This is not a valid NHS number: check the digits (the last one is a check digit)', 'nhs-number');
    const result = await this.run(principal, [['identifier', `${NHS_NUMBER_SYSTEM}|${digits}`]], now);
    if (result.matches.length > 0 || principal.kind !== 'staff' || !roleRule(principal.role).breakGlass || principal.patientId) return result;
    // Nobody this user may see: is there such a person at all? (Only then is break-glass worth offering.)
    const found = await this.db.query<{ id: string }>(
      `SELECT r.id FROM resource r JOIN sp_token t ON t.rid = r.rid
        WHERE t.resource_type = 'Patient' AND t.code = 'identifier' AND t.system = $1 AND t.value = $2 AND NOT r.deleted LIMIT 1`,
      [NHS_NUMBER_SYSTEM, digits],
    );
    return found.rows[0] ? { ...result, unrelated: { patientId: found.rows[0].id } } : result;
  }

  async byName(principal: Principal, input: { name?: string; birthDate?: string; postcode?: string }, now: Date): Promise<PersonSearchResult> {
    const name = (input.name ?? '').trim().replace(/\s+/g, ' ');
    if (name.length < 2) throw badRequest('Enter the person’s name (at least 2 letters)', 'name');
    if (name.length > 100 || !/^[\p{L}' .-]+$/u.test(name)) throw badRequest('A name can contain only letters, spaces, hyphens and apostrophes', 'name');
    const birthDate = (input.birthDate ?? '').trim();
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
    const valid = d && new Date(`${birthDate}T00:00:00Z`).toISOString().slice(0, 10) === birthDate;
    if (!valid) throw badRequest('Enter a real date of birth', 'birth-date');
    if (birthDate > now.toISOString().slice(0, 10)) throw badRequest('The date of birth must be in the past', 'birth-date');
    const pairs: [string, string][] = [['birthdate', birthDate]];
    // Each word of the name must match a part of it (given or family), as a clerk would search.
    for (const word of name.split(' ')) pairs.push(['name', word]);
    const postcode = (input.postcode ?? '').trim();
    if (postcode) {
      if (!POSTCODE.test(postcode)) throw badRequest('Enter a postcode like ME15 6XX, or leave it empty', 'postcode');
      pairs.push(['address-postalcode', postcode.toUpperCase().replace(/\s+/g, ' ')]);
    }
    return this.run(principal, pairs, now);
  }

  private async run(principal: Principal, pairs: [string, string][], now: Date): Promise<PersonSearchResult> {
    const q = this.search.parse('Patient', [...pairs, ['_count', String(MAX_MATCHES)], ['_include', 'Patient:general-practitioner'], ['_total', 'none'], ['_sort', 'family,given']]);
    const res = await this.search.run(q, { restriction: restrictionFor(principal, now) }, this.db);
    const included = new Map(res.included.map((r) => [`${r.resource_type}/${r.id}`, JSON.parse(r.content)]));
    const matches = res.matches.map((row): PersonMatch => {
      const p = JSON.parse(row.content);
      const gpRef = p.generalPractitioner?.[0];
      const gp = gpRef ? nameOf(included.get(gpRef.reference)) || gpRef.display : undefined;
      return {
        id: row.id, name: humanName(p.name) || 'Name not recorded',
        nhsNumber: (p.identifier ?? []).find((i: { system?: string }) => i.system === NHS_NUMBER_SYSTEM)?.value,
        birthDate: p.birthDate, age: ageOn(p.birthDate, now), gender: p.gender, postcode: postcodeOf(p.address) || undefined,
        gp: gp || (refId(gpRef, 'Organization') ? 'GP practice' : undefined),
      };
    });
    return { matches, more: res.next !== undefined };
  }
}
