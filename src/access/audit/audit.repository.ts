import type { Queryable } from '../../db/database.js';
import type { AuditRecord, StoredAuditRecord } from './audit-record.js';

/** Taken shared by every append and exclusively by an append that must not be refused (audit.service.ts `write`). */
const CHAIN_LOCK = 7303020;

/** The unique index (migration 024) that refuses a second link after the same hash: a fork. */
const PREV_HASH_INDEX = 'audit_chain_prev_hash';

/** Whether an append was refused because another writer linked onto the same hash first. */
export function isChainConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null;
  return e?.code === '23505' && (e.constraint === PREV_HASH_INDEX || String(e.message ?? '').includes(PREV_HASH_INDEX));
}

export interface ChainLinkRow {
  seq: string;
  event_id: string;
  hash: string;
  prev_hash: string;
  /** The event's row; null when that row is gone. */
  record: StoredAuditRecord | null;
}

export interface NewLink {
  eventId: string;
  /**
   * audit_event.seq of the event (the column keeps its old name: it held the event's rid before
   * migration 010); null for a record appended in the same statement, whose seq is not known yet.
   */
  rid: string | null;
  hash: string;
  prevHash: string;
}

/** The columns of audit_event, as selected for a StoredAuditRecord. */
export const RECORD_COLUMNS = `e.seq::text AS seq, e.id, e.recorded, e.interaction, e.action, e.outcome, e.status, e.agent, e.user_id,
  e.role, e.organization_id, e.patient_ids, e.resources, e.reason, e.request_id, e.detail, e.legacy`;

interface RecordRow {
  seq: string;
  id: string;
  recorded: Date | string;
  interaction: string;
  action: string;
  outcome: string;
  status: number | null;
  agent: string | null;
  user_id: string | null;
  role: string;
  organization_id: string | null;
  patient_ids: string[];
  resources: string[];
  reason: string | null;
  request_id: string | null;
  detail: string | null;
  legacy: string | null;
}

export function fromRow(r: RecordRow): StoredAuditRecord {
  return {
    seq: r.seq, id: r.id, recorded: new Date(r.recorded).toISOString(), interaction: r.interaction as StoredAuditRecord['interaction'],
    action: r.action, outcome: r.outcome, status: r.status === null ? null : Number(r.status), agent: r.agent, userId: r.user_id,
    role: r.role, organizationId: r.organization_id, patientIds: r.patient_ids ?? [], resources: r.resources ?? [], reason: r.reason,
    requestId: r.request_id, detail: r.detail, legacy: r.legacy,
  };
}

const toJson = (r: AuditRecord) => ({
  id: r.id, recorded: r.recorded, interaction: r.interaction, action: r.action, outcome: r.outcome, status: r.status, agent: r.agent,
  user_id: r.userId, role: r.role, organization_id: r.organizationId, patient_ids: r.patientIds, resources: r.resources,
  reason: r.reason, request_id: r.requestId, detail: r.detail,
});

/** One statement for a whole batch: the records as a JSON array, one row each. */
const INSERT_RECORDS = `INSERT INTO audit_event (seq, id, recorded, interaction, action, outcome, status, agent, user_id, role,
    organization_id, patient_ids, resources, reason, request_id, detail)
  SELECT nextval('audit_event_seq'), x.id, x.recorded, x.interaction, x.action, x.outcome, x.status, x.agent, x.user_id, x.role,
         x.organization_id, x.patient_ids, x.resources, x.reason, x.request_id, x.detail
    FROM json_to_recordset($1::json) AS x(id text, recorded timestamptz, interaction text, action text, outcome text, status integer,
         agent text, user_id text, role text, organization_id text, patient_ids text[], resources text[], reason text, request_id text, detail text)`;

/** $1 patient id, $2 seq to page before (or null), $3 limit. Exported for the test that checks its plan. */
export const EVENTS_ABOUT_PATIENT_SQL = `SELECT ${RECORD_COLUMNS} FROM audit_event e
  WHERE e.patient_ids @> ARRAY[$1::text] AND ($2::bigint IS NULL OR e.seq < $2::bigint)
  ORDER BY e.seq DESC LIMIT $3`;

/** The audit trail's SQL. */
export class AuditRepository {
  /** Takes the chain lock exclusively for the rest of the transaction: no other append runs until it ends. */
  async lockChain(tx: Queryable): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK], { prepare: true });
  }

  /**
   * Appends one record inside the caller's transaction (a write's), marked as not yet in the chain:
   * it commits or rolls back with the write, and the audit service links it afterwards.
   */
  async insertPending(tx: Queryable, record: AuditRecord): Promise<void> {
    await tx.query(
      `WITH e AS (${INSERT_RECORDS} RETURNING seq) INSERT INTO audit_pending (seq) SELECT seq FROM e`,
      [JSON.stringify([toJson(record)])],
      { prepare: true },
    );
  }

  /**
   * Takes every committed record still waiting for its chain link, in recording order. Call under the
   * chain lock, in the transaction that appends their links: if it rolls back they wait again.
   */
  async takePending(tx: Queryable): Promise<StoredAuditRecord[]> {
    const res = await tx.query<RecordRow>(
      `WITH p AS (DELETE FROM audit_pending RETURNING seq)
       SELECT ${RECORD_COLUMNS} FROM audit_event e JOIN p ON p.seq = e.seq ORDER BY e.seq`,
      [],
      { prepare: true },
    );
    return res.rows.map(fromRow);
  }

  /** Whether any record waits for its chain link. */
  async hasPending(q: Queryable): Promise<boolean> {
    return (await q.query('SELECT 1 FROM audit_pending LIMIT 1', [], { prepare: true })).rows.length > 0;
  }

  /** The chain's last hash. Call under the chain lock: a statement run after it was taken sees every link committed before. */
  async lastHash(tx: Queryable): Promise<string | undefined> {
    const res = await tx.query<{ hash: string }>('SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1', [], { prepare: true });
    return res.rows[0]?.hash;
  }

  /**
   * Appends a batch's records and the links for them (and for rows writes left waiting, whose `rid`
   * is known) in one statement, so a batch costs one round trip: the links' hashes do not cover
   * `seq`, so they are computed before the rows exist. Links are appended in the given order (the
   * chain's `seq` follows it). A link whose `prevHash` another link already names is refused by
   * migration 024's unique index, and then nothing of the statement is written. Every append holds
   * the chain lock at least shared until its transaction ends, so an appender holding it exclusively
   * (`lockChain`) reads the chain's true end and cannot be refused: a retry under it always succeeds.
   */
  async appendRecordsWithLinks(q: Queryable, records: AuditRecord[], links: NewLink[]): Promise<void> {
    await q.query(
      `WITH ev AS (${INSERT_RECORDS} RETURNING id, seq)
       INSERT INTO audit_chain (event_id, rid, hash, prev_hash)
       SELECT u.e, coalesce(u.r, ev.seq), u.h, u.p
         FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS u(e, r, h, p, n)
         LEFT JOIN ev ON ev.id = u.e
         CROSS JOIN (SELECT pg_advisory_xact_lock_shared($6)) AS chain_lock
        ORDER BY u.n`,
      [JSON.stringify(records.map(toJson)), links.map((l) => l.eventId), links.map((l) => l.rid), links.map((l) => l.hash), links.map((l) => l.prevHash), CHAIN_LOCK],
      { prepare: true },
    );
  }

  /** Links after `afterSeq`, in chain order, with their events' rows. */
  async chainPage(q: Queryable, afterSeq: string, limit: number): Promise<ChainLinkRow[]> {
    const res = await q.query<RecordRow & { link_seq: string; event_id: string; hash: string; prev_hash: string; found: boolean }>(
      `SELECT c.seq::text AS link_seq, c.event_id, c.hash, c.prev_hash, e.seq IS NOT NULL AS found, ${RECORD_COLUMNS}
         FROM audit_chain c LEFT JOIN audit_event e ON e.seq = c.rid
        WHERE c.seq > $1::bigint ORDER BY c.seq LIMIT $2`,
      [afterSeq, limit],
    );
    return res.rows.map((r) => ({ seq: r.link_seq, event_id: r.event_id, hash: r.hash, prev_hash: r.prev_hash, record: r.found ? fromRow(r) : null }));
  }

  /**
   * An event outside the chain: a row of audit_event with no link that is not waiting for one, or an
   * AuditEvent stored as an ordinary resource (since migration 010 the audit service writes none).
   */
  async unchainedEvent(q: Queryable): Promise<string | undefined> {
    const res = await q.query<{ id: string }>(
      `(SELECT e.id FROM audit_event e
         WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.rid = e.seq) AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.seq = e.seq)
         LIMIT 1)
       UNION ALL
       (SELECT r.id FROM resource r WHERE r.resource_type = 'AuditEvent' LIMIT 1)
       LIMIT 1`,
    );
    return res.rows[0]?.id;
  }

  /** How many records wait for their chain link. */
  async pendingCount(q: Queryable): Promise<number> {
    return Number((await q.query<{ n: string }>('SELECT count(*) AS n FROM audit_pending')).rows[0].n);
  }

  /** One record by its AuditEvent id. */
  async byId(q: Queryable, id: string): Promise<StoredAuditRecord | undefined> {
    const res = await q.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM audit_event e WHERE e.id = $1`, [id], { prepare: true });
    return res.rows[0] ? fromRow(res.rows[0]) : undefined;
  }

  /** Records matching a WHERE clause built by the AuditEvent search (values as positional parameters). */
  async select(q: Queryable, where: string, order: string, limit: string, params: unknown[]): Promise<StoredAuditRecord[]> {
    const res = await q.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM audit_event e WHERE ${where} ORDER BY ${order} LIMIT ${limit}`, params);
    return res.rows.map(fromRow);
  }

  async count(q: Queryable, where: string, params: unknown[]): Promise<number> {
    return Number((await q.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event e WHERE ${where}`, params)).rows[0].n);
  }

  /**
   * The events about one person (entity.what = Patient/<id>), newest first, before seq `beforeSeq`:
   * the person's entries of the GIN index on patient_ids, then the newest `limit` of them.
   */
  async eventsAboutPatient(q: Queryable, patientId: string, beforeSeq: string | undefined, limit: number): Promise<StoredAuditRecord[]> {
    const res = await q.query<RecordRow>(EVENTS_ABOUT_PATIENT_SQL, [patientId, beforeSeq ?? null, limit], { prepare: true });
    return res.rows.map(fromRow);
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
