import type { Queryable } from '../../db/database.js';
import { restrictionFor } from '../policy/row-restriction.js';
import { VisibilityRepository } from '../policy/visibility.repository.js';
import type { Principal } from '../principal.js';

const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

/** The few read-only lookups identity makes in the record (existence checks, ODS codes). */
export class FhirLookupRepository {
  constructor(private readonly db: Queryable) {}

  async exists(type: string, id: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM resource WHERE resource_type = $1 AND id = $2 AND NOT deleted', [type, id]);
    return r.rows.length > 0;
  }

  /**
   * Whether `principal` sees Patient/`id` under the access policy's row restriction. Hidden and
   * missing both answer false: whatever identity does with the answer cannot tell them apart.
   */
  async patientVisibleTo(principal: Principal, id: string, now: Date): Promise<boolean> {
    return new VisibilityRepository().visible(this.db, restrictionFor(principal, now), 'Patient', id);
  }

  /** The Organization ids carrying an ODS code (normally one). */
  async organizationsByOds(ods: string): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `SELECT r.id FROM resource r JOIN sp_token t ON t.rid = r.rid
       WHERE t.resource_type = 'Organization' AND t.code = 'identifier' AND t.system = $1 AND t.value = $2
         AND r.resource_type = 'Organization' AND NOT r.deleted ORDER BY r.id`,
      [ODS_SYSTEM, ods],
    );
    return r.rows.map((x) => x.id);
  }

  /** A Patient's display name, for choosers and the launch banner. */
  async patientName(id: string): Promise<string | undefined> {
    const r = await this.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Patient' AND id = $1 AND NOT deleted", [id]);
    if (!r.rows[0]) return undefined;
    const p = JSON.parse(r.rows[0].content) as { name?: { text?: string; given?: string[]; family?: string }[] };
    const n = p.name?.[0];
    return n ? n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ') : undefined;
  }

  /**
   * The organisations a person is registered with (their Patient's generalPractitioner and
   * managingOrganization naming an Organization), or undefined when there is no such Patient.
   */
  async patientRegistration(id: string): Promise<string[] | undefined> {
    const r = await this.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Patient' AND id = $1 AND NOT deleted", [id]);
    if (!r.rows[0]) return undefined;
    const p = JSON.parse(r.rows[0].content) as { generalPractitioner?: { reference?: string }[]; managingOrganization?: { reference?: string } };
    const refs = [...(p.generalPractitioner ?? []), ...(p.managingOrganization ? [p.managingOrganization] : [])];
    return [...new Set(refs.flatMap((x) => (x.reference?.startsWith('Organization/') ? [x.reference.slice('Organization/'.length)] : [])))];
  }

  /** The Patient a RelatedPerson relates to, or undefined (no such RelatedPerson, or it names none). */
  async relatedPersonPatient(id: string): Promise<string | undefined> {
    const r = await this.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'RelatedPerson' AND id = $1 AND NOT deleted", [id]);
    const ref = r.rows[0] ? (JSON.parse(r.rows[0].content) as { patient?: { reference?: string } }).patient?.reference : undefined;
    return ref?.startsWith('Patient/') ? ref.slice('Patient/'.length) : undefined;
  }

  /** An Organization's name, or its id. */
  async organizationName(id: string): Promise<string> {
    const r = await this.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Organization' AND id = $1 AND NOT deleted", [id]);
    return r.rows[0] ? ((JSON.parse(r.rows[0].content) as { name?: string }).name ?? id) : id;
  }
}
