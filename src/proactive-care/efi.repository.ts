import type { Queryable } from '../db/database.js';
import { SNOMED_SYSTEM } from '../record-view/uk-terms.js';
import type { EfiEvidence } from './efi.calculator.js';

export interface PatientRow {
  rid: string;
  id: string;
  content: string;
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

// Entries that were recorded in error (or refuted, cancelled) are not evidence of anything.
const NOT_IN_ERROR = `NOT EXISTS (SELECT 1 FROM sp_token s WHERE s.rid = ref.rid
  AND ((s.code = 'verification-status' AND s.value IN ('entered-in-error', 'refuted'))
    OR (s.code = 'status' AND s.value IN ('entered-in-error', 'cancelled', 'draft'))))`;

/**
 * The SQL of the frailty computation: every statement takes a batch of people (their Patient ids)
 * and reads the record's index tables (the reference index to find the person's entries, the token
 * and date indexes for codes, statuses and dates), so one batch costs a handful of index scans,
 * whatever the size of the database. It reads the whole record: it is the platform computing a
 * clinical score, not a user reading; what users see of the result is decided when they read it.
 */
export class EfiRepository {
  constructor(private readonly db: Queryable) {}

  /** Patients in rid order after `afterRid` (keyset), `limit` at a time. */
  async patientsAfter(afterRid: string, limit: number): Promise<PatientRow[]> {
    const r = await this.db.query<PatientRow>(
      `SELECT rid::text AS rid, id, content FROM resource WHERE resource_type = 'Patient' AND NOT deleted AND rid > $1::bigint ORDER BY rid LIMIT $2::int`,
      [afterRid, limit],
    );
    return r.rows;
  }

  async patientsByIds(ids: string[]): Promise<PatientRow[]> {
    const r = await this.db.query<PatientRow>(
      `SELECT rid::text AS rid, id, content FROM resource WHERE resource_type = 'Patient' AND NOT deleted AND id = ANY($1::text[]) ORDER BY rid`,
      [ids],
    );
    return r.rows;
  }

  /** Practice id → its primary care network (Organization.partOf). */
  async networks(): Promise<Map<string, string>> {
    const r = await this.db.query<{ id: string; parent: string | null }>(
      `SELECT id, substring(content::jsonb #>> '{partOf,reference}' from '^Organization/([A-Za-z0-9.-]{1,64})$') AS parent
         FROM resource WHERE resource_type = 'Organization' AND NOT deleted`,
    );
    return new Map(r.rows.filter((x) => x.parent).map((x) => [x.id, x.parent!]));
  }

  /**
   * Conditions and Observations coded from the eFI code sets, and the medicines prescribed in the last
   * 12 months: a prescription authored since `since`, or one still active (a repeat is reissued while
   * it is active, whenever it was first written), per person.
   */
  async evidence(ids: string[], codes: string[], since: Date, now: Date): Promise<Map<string, EfiEvidence>> {
    const out = new Map<string, EfiEvidence>(ids.map((id) => [id, { coded: [], medicines: [] }]));
    if (ids.length === 0) return out;
    const coded = await this.db.query<{ pid: string; ref: string; code: string }>(
      `SELECT ref.target_id AS pid, ref.resource_type || '/' || r.id AS ref, t.value AS code
         FROM sp_reference ref
         JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
         JOIN sp_token t ON t.rid = ref.rid AND t.code = 'code' AND t.system = $3 AND t.value IN (SELECT unnest($2::text[]))
        WHERE ref.resource_type IN ('Condition', 'Observation') AND ref.code = 'subject' AND ref.target_type = 'Patient'
          AND ref.target_id = ANY($1::text[]) AND ${NOT_IN_ERROR}`,
      [ids, codes, SNOMED_SYSTEM],
    );
    for (const row of coded.rows) out.get(row.pid)?.coded.push({ ref: row.ref, code: row.code });
    const meds = await this.db.query<{ pid: string; ref: string; medicine: string | null }>(
      `SELECT ref.target_id AS pid, 'MedicationRequest/' || r.id AS ref,
              coalesce((SELECT min(coalesce(t.system, '') || '|' || t.value) FROM sp_token t WHERE t.rid = r.rid AND t.code = 'code'),
                       r.content::jsonb #>> '{medicationCodeableConcept,text}', r.content::jsonb #>> '{medicationReference,reference}') AS medicine
         FROM sp_reference ref
         JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
        WHERE ref.resource_type = 'MedicationRequest' AND ref.code = 'subject' AND ref.target_type = 'Patient'
          AND ref.target_id = ANY($1::text[]) AND ${NOT_IN_ERROR}
          AND (EXISTS (SELECT 1 FROM sp_token s WHERE s.rid = ref.rid AND s.code = 'status' AND s.value = 'active')
               OR EXISTS (SELECT 1 FROM sp_date d WHERE d.rid = ref.rid AND d.code = 'authoredon' AND d.low >= $2 AND d.low <= $3))`,
      [ids, since.toISOString(), now.toISOString()],
    );
    for (const row of meds.rows) if (row.medicine) out.get(row.pid)?.medicines.push({ ref: row.ref, medicine: row.medicine });
    return out;
  }

  /** Emergency admissions (inpatient encounters with emergency priority or admitted from A&E) starting in [since, now], per person. */
  async emergencyAdmissions(ids: string[], since: Date, now: Date): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ pid: string; n: number }>(
      `SELECT ref.target_id AS pid, count(*)::int AS n
         FROM sp_reference ref
         JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
        WHERE ref.resource_type = 'Encounter' AND ref.code = 'subject' AND ref.target_type = 'Patient' AND ref.target_id = ANY($1::text[])
          AND ${NOT_IN_ERROR}
          AND EXISTS (SELECT 1 FROM sp_token c WHERE c.rid = ref.rid AND c.code = 'class' AND c.value = 'IMP')
          AND EXISTS (SELECT 1 FROM sp_date d WHERE d.rid = ref.rid AND d.code = 'date' AND d.low >= $2 AND d.low <= $3)
          AND (r.content::jsonb #>> '{priority,coding,0,code}' = 'EM'
               OR r.content::jsonb #>> '{hospitalization,admitSource,coding,0,code}' IN ('emd', 'emer'))
        GROUP BY ref.target_id`,
      [ids, since.toISOString(), now.toISOString()],
    );
    return new Map(r.rows.map((x) => [x.pid, x.n]));
  }

  /** People with an active RelatedPerson on record (an unpaid carer, family or friend who cares). */
  async withCarers(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const r = await this.db.query<{ pid: string }>(
      `SELECT DISTINCT ref.target_id AS pid FROM sp_reference ref JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
        WHERE ref.resource_type = 'RelatedPerson' AND ref.code = 'patient' AND ref.target_type = 'Patient' AND ref.target_id = ANY($1::text[])
          AND (r.content::jsonb ->> 'active') IS DISTINCT FROM 'false'`,
      [ids],
    );
    return new Set(r.rows.map((x) => x.pid));
  }

  async signatures(ids: string[]): Promise<Map<string, string | null>> {
    const r = await this.db.query<{ patient_id: string; efi_signature: string | null }>(
      'SELECT patient_id, efi_signature FROM person_risk WHERE patient_id = ANY($1::text[])',
      [ids],
    );
    return new Map(r.rows.map((x) => [x.patient_id, x.efi_signature]));
  }

  /** Writes the batch's rows (one statement), replacing each person's earlier row. */
  async upsert(rows: PersonRiskRow[], computedAt: Date): Promise<void> {
    if (rows.length === 0) return;
    const col = <K extends keyof PersonRiskRow>(k: K) => rows.map((r) => r[k]);
    await this.db.query(
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
   * The oldest `limit` entries of the change queue (migration 020: people whose Conditions, Observations,
   * medicines, admissions or carers changed), as their sequence numbers and the distinct people.
   */
  async queued(limit: number): Promise<{ seqs: string[]; people: string[] }> {
    const r = await this.db.query<{ seq: string; patient_id: string }>('SELECT seq::text AS seq, patient_id FROM efi_queue ORDER BY seq LIMIT $1::int', [limit]);
    return { seqs: r.rows.map((x) => x.seq), people: [...new Set(r.rows.map((x) => x.patient_id))] };
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
