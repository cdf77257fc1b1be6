import type { Queryable } from '../db/database.js';
import { SNOMED_SYSTEM } from '../record-view/uk-terms.js';
import type { EfiEvidence } from './efi.calculator.js';

export interface PatientRow {
  rid: string;
  id: string;
  content: string;
}

/** What one batch reads from the record (see EfiRepository.gather). */
export interface EfiGathered {
  /** For each person 65+: their coded entries and medicines. */
  evidence: Map<string, EfiEvidence>;
  /** Emergency admissions in the last 12 months, for people who had any. */
  admissions: Map<string, number>;
  /** People with an active RelatedPerson on record. */
  carers: Set<string>;
}

/** One person's row of person_risk (migration 013). */
export interface PersonRiskRow {
  patientId: string;
  birthDate: string | null;
  district: string | null;
  practiceId: string | null;
  pcnId: string | null;
  quintile: number | null;
  efiDeficits: number | null;
  efiScore: number | null;
  efiCategory: string | null;
  efiSignature: string | null;
  emergencyAdmissions: number;
  medicines: number;
  hasCarer: boolean;
}

/**
 * The SQL of the frailty computation: every statement takes a batch of people (their Patient ids)
 * and reads the record's index tables (the reference index to find the person's entries, the token
 * and date indexes for codes, statuses and dates), so one batch costs a handful of index scans,
 * whatever the size of the database. It reads the whole record: it is the platform computing a
 * clinical score, not a user reading; what users see of the result is decided when they read it.
 */
export class EfiRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Patients in rid order after `afterRid` (keyset), `limit` at a time. Ordered by the column, not the
   * text alias of the same name: in text order ('10005' < '9972') pages overlapped and people were missed.
   * The keyset is written as a row comparison on (resource_type, rid) so that PostgreSQL walks the
   * resource_type_rid index from the page's first Patient: with `rid > $1` it walked the primary key
   * and read and discarded every other resource in between (about 11 per Patient, 157 ms a page of
   * 1,000 at 20,000 residents against 45 ms; EXPLAIN in bench/PROFILE.md).
   */
  async patientsAfter(afterRid: string, limit: number): Promise<PatientRow[]> {
    const r = await this.db.query<PatientRow>(
      `SELECT r.rid::text AS rid, r.id, r.content FROM resource r
        WHERE r.resource_type = 'Patient' AND (r.resource_type, r.rid) > ('Patient', $1::bigint) AND NOT r.deleted
        ORDER BY r.resource_type, r.rid LIMIT $2::int`,
      [afterRid, limit],
    );
    return r.rows;
  }

  async patientsByIds(ids: string[]): Promise<PatientRow[]> {
    const r = await this.db.query<PatientRow>(
      `SELECT r.rid::text AS rid, r.id, r.content FROM resource r WHERE r.resource_type = 'Patient' AND NOT r.deleted AND r.id = ANY($1::text[]) ORDER BY r.rid`,
      [ids],
    );
    return r.rows;
  }

  /**
   * The named practices → their primary care network (Organization.partOf). Only those: reading every
   * Organization's JSON cost 130 ms at 2,000 residents, most of a one-person recomputation.
   */
  async networks(practiceIds: string[]): Promise<Map<string, string>> {
    if (practiceIds.length === 0) return new Map();
    const r = await this.db.query<{ id: string; parent: string | null }>(
      `SELECT id, substring(content::jsonb #>> '{partOf,reference}' from '^Organization/([A-Za-z0-9.-]{1,64})$') AS parent
         FROM resource WHERE resource_type = 'Organization' AND NOT deleted AND id = ANY($1::text[])`,
      [practiceIds],
    );
    return new Map(r.rows.filter((x) => x.parent).map((x) => [x.id, x.parent!]));
  }

  /**
   * Everything the batch needs from the record, in one statement: for the people 65+ (`older`), their
   * Conditions and Observations with SNOMED CT codes from the eFI code sets (`codes`) and their medicines
   * of the last 12 months (a prescription authored in [since, now], or one still active: a repeat is
   * reissued while it is active, whenever it was first written); for everyone (`ids`), their emergency
   * admissions (inpatient Encounters with emergency priority or admitted from A&E, starting in
   * [since, now]) and whether an active RelatedPerson is on record. Entries recorded in error (or
   * refuted, cancelled, draft) are no evidence of anything.
   *
   * Set-based: the batch's references are found once through the reference index, then each entry's
   * tokens are read by its rid (lateral lookups, so the cost follows the batch, never the size of
   * sp_token or sp_date: as EXISTS, the planner hashed a scan of all of sp_date). Only the entries
   * that can still count after their tokens (a coded Condition or Observation not in error, a
   * medicine, an inpatient Encounter, a carer: about a third) go on to their resource row and dates,
   * which halved the statement's buffers; the JSON is opened only for medicines, encounters and carers. The
   * code-set filter is `= ANY` of the codes, which PostgreSQL hashes (a join against the 2,000 codes
   * compared every entry with every code: 1.6 s for 357 people at 2,000 residents).
   */
  async gather(ids: string[], older: string[], codes: string[], since: Date, now: Date): Promise<EfiGathered> {
    const evidence = new Map<string, EfiEvidence>(older.map((id) => [id, { coded: [], medicines: [] }]));
    const admissions = new Map<string, number>();
    const carers = new Set<string>();
    if (ids.length === 0) return { evidence, admissions, carers };
    const r = await this.db.query<{ pid: string; type: string; ref: string; codes: string[] | null; medicine: string | null; counts: boolean }>(
      `WITH refs AS MATERIALIZED (
         SELECT ref.rid, ref.resource_type AS type, ref.target_id AS pid FROM sp_reference ref
          WHERE ref.target_type = 'Patient' AND (
                (ref.resource_type IN ('Condition', 'Observation', 'MedicationRequest') AND ref.code = 'subject' AND ref.target_id = ANY($2::text[]))
             OR (ref.resource_type = 'Encounter' AND ref.code = 'subject' AND ref.target_id = ANY($1::text[]))
             OR (ref.resource_type = 'RelatedPerson' AND ref.code = 'patient' AND ref.target_id = ANY($1::text[])))
       ),
       entries AS MATERIALIZED (
         SELECT refs.rid, refs.type, refs.pid, tok.codes, tok.medicine, tok.active
           FROM refs
           CROSS JOIN LATERAL (
             SELECT array_agg(s.value) FILTER (WHERE s.code = 'code' AND s.system = $6 AND s.value = ANY($3::text[])) AS codes,
                    min(coalesce(s.system, '') || '|' || s.value) FILTER (WHERE s.code = 'code') AS medicine,
                    coalesce(bool_or((s.code = 'verification-status' AND s.value IN ('entered-in-error', 'refuted'))
                                  OR (s.code = 'status' AND s.value IN ('entered-in-error', 'cancelled', 'draft'))), false) AS in_error,
                    coalesce(bool_or(s.code = 'status' AND s.value = 'active'), false) AS active,
                    coalesce(bool_or(s.code = 'class' AND s.value = 'IMP'), false) AS inpatient
               FROM sp_token s WHERE s.rid = refs.rid) tok
          WHERE CASE refs.type
                  WHEN 'RelatedPerson' THEN true
                  WHEN 'MedicationRequest' THEN NOT tok.in_error
                  WHEN 'Encounter' THEN NOT tok.in_error AND tok.inpatient
                  ELSE NOT tok.in_error AND tok.codes IS NOT NULL END
       )
       SELECT e.pid, e.type, e.type || '/' || r.id AS ref, e.codes,
              CASE WHEN e.type = 'MedicationRequest' THEN coalesce(e.medicine, r.content::jsonb #>> '{medicationCodeableConcept,text}', r.content::jsonb #>> '{medicationReference,reference}') END AS medicine,
              CASE e.type
                WHEN 'RelatedPerson' THEN (r.content::jsonb ->> 'active') IS DISTINCT FROM 'false'
                WHEN 'MedicationRequest' THEN e.active OR dt.authored
                WHEN 'Encounter' THEN dt.started
                  AND (r.content::jsonb #>> '{priority,coding,0,code}' = 'EM' OR r.content::jsonb #>> '{hospitalization,admitSource,coding,0,code}' IN ('emd', 'emer'))
                ELSE true END AS counts
         FROM entries e
         JOIN resource r ON r.rid = e.rid AND NOT r.deleted
         CROSS JOIN LATERAL (
           SELECT coalesce(bool_or(d.code = 'authoredon' AND d.low >= $4 AND d.low <= $5), false) AS authored,
                  coalesce(bool_or(d.code = 'date' AND d.low >= $4 AND d.low <= $5), false) AS started
             FROM sp_date d WHERE d.rid = e.rid AND (e.type = 'Encounter' OR (e.type = 'MedicationRequest' AND NOT e.active))) dt`,
      [ids, older, codes, since.toISOString(), now.toISOString(), SNOMED_SYSTEM],
    );
    for (const row of r.rows) {
      if (!row.counts) continue;
      if (row.type === 'Condition' || row.type === 'Observation') {
        const e = evidence.get(row.pid);
        for (const code of row.codes ?? []) e?.coded.push({ ref: row.ref, code });
      } else if (row.type === 'MedicationRequest') {
        if (row.medicine) evidence.get(row.pid)?.medicines.push({ ref: row.ref, medicine: row.medicine });
      } else if (row.type === 'Encounter') {
        admissions.set(row.pid, (admissions.get(row.pid) ?? 0) + 1);
      } else {
        carers.add(row.pid);
      }
    }
    return { evidence, admissions, carers };
  }

  async signatures(ids: string[]): Promise<Map<string, string | null>> {
    const r = await this.db.query<{ patient_id: string; efi_signature: string | null }>(
      'SELECT patient_id, efi_signature FROM person_risk WHERE patient_id = ANY($1::text[])',
      [ids],
    );
    return new Map(r.rows.map((x) => [x.patient_id, x.efi_signature]));
  }

  /** Writes the batch's rows (one statement), replacing each person's earlier row. */
  async upsert(rows: PersonRiskRow[], computedAt: Date, q: Queryable = this.db): Promise<void> {
    if (rows.length === 0) return;
    const col = <K extends keyof PersonRiskRow>(k: K) => rows.map((r) => r[k]);
    await q.query(
      `INSERT INTO person_risk (patient_id, birth_date, district, practice_id, pcn_id, deprivation_quintile, efi_deficits, efi_score,
                                efi_category, efi_signature, emergency_admissions, medicines_12m, has_carer, computed_at)
       SELECT u.*, $14::timestamptz FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::smallint[],
                                              $8::numeric[], $9::text[], $10::text[], $11::int[], $12::int[], $13::boolean[]) AS u
       ON CONFLICT (patient_id) DO UPDATE SET birth_date = EXCLUDED.birth_date, district = EXCLUDED.district, practice_id = EXCLUDED.practice_id,
         pcn_id = EXCLUDED.pcn_id, deprivation_quintile = EXCLUDED.deprivation_quintile, efi_deficits = EXCLUDED.efi_deficits,
         efi_score = EXCLUDED.efi_score, efi_category = EXCLUDED.efi_category, efi_signature = EXCLUDED.efi_signature,
         emergency_admissions = EXCLUDED.emergency_admissions, medicines_12m = EXCLUDED.medicines_12m, has_carer = EXCLUDED.has_carer,
         computed_at = EXCLUDED.computed_at`,
      [col('patientId'), col('birthDate'), col('district'), col('practiceId'), col('pcnId'), col('quintile'), col('efiDeficits'), col('efiScore'),
        col('efiCategory'), col('efiSignature'), col('emergencyAdmissions'), col('medicines'), col('hasCarer'), computedAt.toISOString()],
    );
  }

  /**
   * The `limit` people who have waited longest in the change queue (migration 020: people whose
   * Conditions, Observations, medicines, admissions or carers changed), with every entry of theirs
   * committed by now: a person queued by ten writes is recomputed once and all ten entries go.
   */
  async queued(limit: number): Promise<{ seqs: string[]; people: string[] }> {
    const r = await this.db.query<{ seq: string; patient_id: string }>(
      `SELECT q.seq::text AS seq, q.patient_id FROM efi_queue q
        WHERE q.patient_id IN (SELECT patient_id FROM efi_queue GROUP BY patient_id ORDER BY min(seq) LIMIT $1::int)`,
      [limit],
    );
    return { seqs: r.rows.map((x) => x.seq), people: [...new Set(r.rows.map((x) => x.patient_id))] };
  }

  /** How many people are queued. */
  async queuedPeople(): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT count(DISTINCT patient_id)::int AS n FROM efi_queue')).rows[0].n;
  }

  /**
   * Removes exactly the entries that were handled: one a writer commits meanwhile, even with a lower
   * sequence number (numbers are taken before commit), stays for the next drain.
   */
  async dequeue(seqs: string[]): Promise<void> {
    if (seqs.length > 0) await this.db.query('DELETE FROM efi_queue WHERE seq = ANY($1::bigint[])', [seqs]);
  }

  /**
   * Before a full computation: every entry committed by now is covered by it, since it reads the record
   * afterwards; entries committed later (even with lower numbers) are not visible to this statement and stay.
   */
  async clearQueue(): Promise<void> {
    await this.db.query('DELETE FROM efi_queue');
  }

  /** After a full computation: people no longer on the record leave person_risk. */
  async removeMissing(): Promise<void> {
    await this.db.query(
      `DELETE FROM person_risk pr WHERE NOT EXISTS (SELECT 1 FROM resource r WHERE r.resource_type = 'Patient' AND r.id = pr.patient_id AND NOT r.deleted)`,
    );
  }
}
