import type { Queryable } from '../../db/database.js';

/** Serialises appends to the audit chain across every process sharing the database. */
const CHAIN_LOCK = 7303020;

export interface ChainLinkRow {
  seq: string;
  event_id: string;
  hash: string;
  prev_hash: string;
  /** From the resource row; null when that row is gone. */
  id: string | null;
  resource_type: string | null;
  deleted: boolean | null;
  content: string | null;
}

export interface NewLink {
  eventId: string;
  rid: string;
  hash: string;
  prevHash: string;
}

/** $1 patient id, $2 rid to page before (or null), $3 limit. Exported for the test that checks its plan. */
export const EVENTS_ABOUT_PATIENT_SQL = `SELECT x.rid::text AS rid, r.content
   FROM sp_reference x JOIN resource r ON r.rid = x.rid
  WHERE x.resource_type = 'AuditEvent' AND x.code = 'entity' AND x.target_type = 'Patient'
    AND x.target_id = $1 AND ($2::bigint IS NULL OR x.rid < $2::bigint)
  ORDER BY x.rid DESC LIMIT $3`;

/** The audit trail's SQL. */
export class AuditRepository {
  /** Takes the chain lock for the rest of the transaction. */
  async lockChain(tx: Queryable): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK], { prepare: true });
  }

  /**
   * `n` fresh rids, straight from the sequence rather than the resource repository's per-process
   * block, so that audit rids follow recording order closely across processes (the access log pages
   * newest-first by rid).
   */
  async allocateRids(tx: Queryable, n: number): Promise<string[]> {
    const res = await tx.query<{ rids: string[] }>("SELECT ARRAY(SELECT nextval('resource_rid_seq')::text FROM generate_series(1, $1)) AS rids", [n], { prepare: true });
    return res.rows[0].rids;
  }

  /** The chain's last hash. Call under the chain lock: a statement run after it was taken sees every link committed before. */
  async lastHash(tx: Queryable): Promise<string | undefined> {
    const res = await tx.query<{ hash: string }>('SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1', [], { prepare: true });
    return res.rows[0]?.hash;
  }

  /** Appends links in the given order (seq follows it). */
  async appendLinks(tx: Queryable, links: NewLink[]): Promise<void> {
    await tx.query(
      `INSERT INTO audit_chain (event_id, rid, hash, prev_hash)
       SELECT e, r, h, p FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS u(e, r, h, p, n)
       ORDER BY n`,
      [links.map((l) => l.eventId), links.map((l) => l.rid), links.map((l) => l.hash), links.map((l) => l.prevHash)],
      { prepare: true },
    );
  }

  /** Links after `afterSeq`, in chain order, with their events' stored rows. */
  async chainPage(q: Queryable, afterSeq: string, limit: number): Promise<ChainLinkRow[]> {
    const res = await q.query<ChainLinkRow>(
      `SELECT c.seq::text AS seq, c.event_id, c.hash, c.prev_hash, r.id, r.resource_type, r.deleted, r.content
         FROM audit_chain c LEFT JOIN resource r ON r.rid = c.rid
        WHERE c.seq > $1::bigint ORDER BY c.seq LIMIT $2`,
      [afterSeq, limit],
    );
    return res.rows;
  }

  /** The id of an AuditEvent that has no chain link, if any. */
  async unchainedEvent(q: Queryable): Promise<string | undefined> {
    const res = await q.query<{ id: string }>(
      `SELECT r.id FROM resource r
        WHERE r.resource_type = 'AuditEvent' AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.rid = r.rid)
        LIMIT 1`,
    );
    return res.rows[0]?.id;
  }

  /**
   * The events about one person (entity.what = Patient/<id>), newest first, before rid `beforeRid`.
   * The literal predicates match the partial index sp_reference_audit_patient, so this is a
   * backward index scan that stops after `limit` rows. A rid can appear once per entity; an event
   * names each patient once, so there are no duplicates.
   */
  async eventsAboutPatient(q: Queryable, patientId: string, beforeRid: string | undefined, limit: number): Promise<{ rid: string; content: string }[]> {
    const res = await q.query<{ rid: string; content: string }>(EVENTS_ABOUT_PATIENT_SQL, [patientId, beforeRid ?? null, limit]);
    return res.rows;
  }

  /** Organization names by id, for presenting the access log. */
  async organisationNames(q: Queryable, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const res = await q.query<{ id: string; name: string | null }>(
      `SELECT id, content::json->>'name' AS name FROM resource
        WHERE resource_type = 'Organization' AND id = ANY($1::text[]) AND NOT deleted`,
      [ids],
    );
    return new Map(res.rows.filter((r) => r.name).map((r) => [r.id, r.name!]));
  }

  /**
   * Carers' names by RelatedPerson id, for the access log ("your carer Peter Hollis"): the first
   * name's text, else its given and family names.
   */
  async relatedPersonNames(q: Queryable, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const res = await q.query<{ id: string; name: { text?: string; given?: string[]; family?: string } | null }>(
      `SELECT id, content::json->'name'->0 AS name FROM resource
        WHERE resource_type = 'RelatedPerson' AND id = ANY($1::text[]) AND NOT deleted`,
      [ids],
    );
    const out = new Map<string, string>();
    for (const r of res.rows) {
      const n = r.name;
      const text = n?.text?.trim() || [...(Array.isArray(n?.given) ? n.given : []), n?.family].filter((x) => typeof x === 'string' && x.trim()).join(' ');
      if (text) out.set(r.id, text);
    }
    return out;
  }
}
