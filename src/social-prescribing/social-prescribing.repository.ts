import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';

/**
 * The caseload's SQL: what was recorded about a set of referrals (Communications and
 * QuestionnaireResponses whose `basedOn` names them), each row under the caller's row restriction, so
 * the caseload shows what the FHIR API would show the same user.
 */
export class SocialPrescribingRepository {
  constructor(private readonly db: Queryable) {}

  /** Resources of `type` based on any of the ServiceRequests `referralIds`, oldest first. */
  async basedOn(type: 'Communication' | 'QuestionnaireResponse', referralIds: string[], restriction: RowRestriction): Promise<string[]> {
    if (referralIds.length === 0) return [];
    const p = new Params();
    const r = restriction('r', type, p);
    const res = await this.db.query<{ content: string }>(
      `SELECT r.content FROM resource r
        WHERE r.resource_type = ${p.add(type)} AND NOT r.deleted
          AND r.rid IN (SELECT b.rid FROM sp_reference b WHERE b.resource_type = ${p.add(type)} AND b.code = 'based-on' AND b.target_type = 'ServiceRequest' AND b.target_id = ANY(${p.add(referralIds, 'text[]')}))
          ${r ? `AND ${r}` : ''}
        ORDER BY r.rid`,
      p.values,
    );
    return res.rows.map((x) => x.content);
  }

  /** Services a link worker may refer on to: active, providing organisation named, not their own organisation's (the directory is public). */
  async onwardServices(ownOrg: string, limit: number): Promise<string[]> {
    const res = await this.db.query<{ content: string }>(
      `SELECT content FROM resource WHERE resource_type = 'HealthcareService' AND NOT deleted
          AND coalesce(content::jsonb ->> 'active', 'true') = 'true' AND content::jsonb -> 'providedBy' ->> 'reference' IS DISTINCT FROM $1
        ORDER BY content::jsonb -> 'type' -> 0 ->> 'text', content::jsonb ->> 'name', id LIMIT $2`,
      [`Organization/${ownOrg}`, limit],
    );
    return res.rows.map((x) => x.content);
  }
}
