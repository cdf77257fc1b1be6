import type { Queryable } from '../../db/database.js';

export interface BreakGlassGrant {
  id: string;
  userId: string;
  userName: string;
  role: string;
  organizationId: string;
  patientId: string;
  reasonCode: string;
  reasonText: string;
  grantedAt: string;
  expiresAt: string;
  reviewedAt?: string;
  reviewedBy?: string;
  reviewNote?: string;
}

const COLUMNS = `id, user_id, user_name, role, organization_id, patient_id, reason_code, reason_text, granted_at, expires_at, reviewed_at, reviewed_by, review_note`;

function toGrant(r: any): BreakGlassGrant {
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : new Date(String(d)).toISOString());
  return {
    id: r.id, userId: r.user_id, userName: r.user_name, role: r.role, organizationId: r.organization_id, patientId: r.patient_id,
    reasonCode: r.reason_code, reasonText: r.reason_text, grantedAt: iso(r.granted_at), expiresAt: iso(r.expires_at),
    ...(r.reviewed_at ? { reviewedAt: iso(r.reviewed_at), reviewedBy: r.reviewed_by, reviewNote: r.review_note ?? undefined } : {}),
  };
}

/** The SQL of break-glass grants (table break_glass, migration 005). */
export class BreakGlassRepository {
  async insert(q: Queryable, g: BreakGlassGrant): Promise<void> {
    await q.query(
      `INSERT INTO break_glass (id, user_id, user_name, role, organization_id, patient_id, reason_code, reason_text, granted_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [g.id, g.userId, g.userName, g.role, g.organizationId, g.patientId, g.reasonCode, g.reasonText, g.grantedAt, g.expiresAt],
    );
  }

  async unreviewed(q: Queryable, limit: number): Promise<BreakGlassGrant[]> {
    const res = await q.query(`SELECT ${COLUMNS} FROM break_glass WHERE reviewed_at IS NULL ORDER BY granted_at, id LIMIT $1`, [limit]);
    return res.rows.map(toGrant);
  }

  /** Who the people are (name and NHS number from their Patient rows), for the privacy officer's review. */
  async people(q: Queryable, patientIds: string[]): Promise<Map<string, { name?: unknown; identifier?: unknown }>> {
    if (patientIds.length === 0) return new Map();
    const res = await q.query<{ id: string; content: string }>(
      `SELECT id, content FROM resource WHERE resource_type = 'Patient' AND id = ANY($1::text[]) AND NOT deleted`, [patientIds]);
    return new Map(res.rows.map((r) => [r.id, JSON.parse(r.content)]));
  }

  async forPatient(q: Queryable, patientId: string): Promise<BreakGlassGrant[]> {
    const res = await q.query(`SELECT ${COLUMNS} FROM break_glass WHERE patient_id = $1 ORDER BY granted_at DESC, id`, [patientId]);
    return res.rows.map(toGrant);
  }

  async active(q: Queryable, userId: string, patientId: string, now: string): Promise<BreakGlassGrant | undefined> {
    const res = await q.query(
      `SELECT ${COLUMNS} FROM break_glass WHERE patient_id = $1 AND user_id = $2 AND granted_at <= $3 AND expires_at > $3
        ORDER BY expires_at DESC LIMIT 1`,
      [patientId, userId, now],
    );
    return res.rows[0] ? toGrant(res.rows[0]) : undefined;
  }

  async review(q: Queryable, id: string, reviewer: string, note: string, at: string): Promise<boolean> {
    const res = await q.query(
      `UPDATE break_glass SET reviewed_at = $2, reviewed_by = $3, review_note = $4 WHERE id = $1 AND reviewed_at IS NULL RETURNING id`,
      [id, at, reviewer, note],
    );
    return res.rows.length > 0;
  }

  async patientExists(q: Queryable, patientId: string): Promise<boolean> {
    const res = await q.query(`SELECT 1 FROM resource WHERE resource_type = 'Patient' AND id = $1 AND NOT deleted`, [patientId]);
    return res.rows.length > 0;
  }
}
