import type { Params } from '../fhir/search.repository.js';

/**
 * The people behind an indicator (issue 14 part 9): for the indicators where a clinician can act on
 * a person, the list of their own patients who are in the figure and have not yet had the action
 * that would change it. Each list is SQL over the record with two aliases the repository restricts:
 * `pt` (the Patient row) and `ev` (the row that puts the person on the list, e.g. the smoking at
 * delivery Observation), so nobody is listed on evidence the reader may not see. Every value is a
 * parameter (`p.add`); codes are the record's own, the same ones indicator.definitions.ts counts.
 *
 * Lists exist for O1.1 (smoking at delivery), O1.3 (Year 6 severe obesity) and O4.2 (people with high
 * needs and no integrated team). Not for the others: survey answers (O2.1, O4.1, O4.4) are
 * anonymous to clinicians; population shares such as inactivity or BMI (O3.1, O3.2) are a third
 * to two thirds of adults, not a work list; admissions and complications (O3.3, O3.5, O5.3) are
 * events already past, handled by the discharge board and case finding; employment (O2.2, O2.4),
 * accommodation (O3.6) and reablement (O5.2) are council and trust work, not a practice's.
 */

export interface ActionableList {
  indicatorId: string;
  /** What the list is, in a heading's words. */
  title: string;
  /** Who is on it, in a sentence. */
  who: string;
  /** What to do, in a sentence. */
  action: string;
  /** The column heading of the evidence (e.g. "Delivery"). */
  evidence: string;
  /** The type of the evidence rows `ev` (for their row restriction). */
  evidenceType: 'Observation';
  /** The directory's kind of service to refer to (/services?kind=…), when the action is a referral. */
  referKind?: { kind: string; words: string };
  /**
   * The list's SQL for a day (YYYY-MM-DD): FROM with `pt` and `ev` (both rows of `resource`), its
   * conditions, and the evidence's date and words as SQL expressions.
   */
  sql: (p: Params, asOf: string) => { from: string; where: string; date: string; detail: string };
}

const SMOKER = '77176002';
const j = (alias: string) => `${alias}.content::jsonb`;
const day = (expr: string) => `left(${expr}, 10)::date`;

/** Evidence Observations `ev` with their subject `pt` (through the reference index); the code is a condition (isObservation). */
const OBSERVATION_ROWS = `resource ev
  JOIN sp_reference s ON s.rid = ev.rid AND s.resource_type = 'Observation' AND s.code = 'subject' AND s.target_type = 'Patient'
  JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = s.target_id AND NOT pt.deleted`;
const isObservation = (p: Params, code: string) => `ev.resource_type = 'Observation' AND NOT ev.deleted
  AND ev.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Observation' AND t.code = 'code' AND t.value = ${p.add(code)})
  AND coalesce(${j('ev')}->>'status', 'final') NOT IN ('entered-in-error', 'cancelled')`;

/** The day of the evidence Observation. */
const EV_DAY = day(`${j('ev')}->>'effectiveDateTime'`);
/** An Observation `ev` of a code whose coded value is `value`, made in the 12 months to `asOf`. */
const codedInLastYear = (p: Params, code: string, value: string, asOf: string) => `${isObservation(p, code)}
  AND ${j('ev')}#>>'{valueCodeableConcept,coding,0,code}' = ${p.add(value)}
  AND ${EV_DAY} > ${p.add(asOf, 'date')} - interval '12 months' AND ${EV_DAY} <= ${p.add(asOf, 'date')}`;

/** No referral (ServiceRequest) for the person to a service of this directory type since `since` (SQL date). */
const noReferralTo = (p: Params, serviceType: string, since: string) => `NOT EXISTS (
  SELECT 1 FROM sp_reference sr
    JOIN resource r ON r.rid = sr.rid AND NOT r.deleted
    JOIN sp_reference perf ON perf.rid = sr.rid AND perf.code = 'performer' AND perf.target_type = 'HealthcareService'
    JOIN resource hs ON hs.resource_type = 'HealthcareService' AND hs.id = perf.target_id AND NOT hs.deleted
   WHERE sr.resource_type = 'ServiceRequest' AND sr.code = 'subject' AND sr.target_type = 'Patient' AND sr.target_id = pt.id
     AND coalesce(${j('r')}->>'status', '') NOT IN ('entered-in-error', 'revoked', 'draft')
     AND ${day(`${j('r')}->>'authoredOn'`)} >= ${since}
     AND EXISTS (SELECT 1 FROM sp_token k WHERE k.rid = hs.rid AND k.code = 'service-type' AND k.value = ${p.add(serviceType)}))`;

export const ACTIONABLE_LISTS: ActionableList[] = [
  {
    indicatorId: 'O1.1',
    title: 'Mothers smoking at delivery with no stop-smoking referral',
    who: 'Women registered with the practice recorded as smoking at the time of delivery in the last 12 months, with no referral to a stop-smoking service since their pregnancy began (40 weeks before delivery).',
    action: 'Offer a referral to a stop-smoking service (the Smokefree pregnancy service supports mothers and their households); very brief advice counts, but only a referral takes them off this list.',
    evidence: 'Delivery (smoking recorded)', evidenceType: 'Observation',
    referKind: { kind: 'stop-smoking', words: 'Find a stop-smoking service' },
    sql: (p, asOf) => ({
      from: OBSERVATION_ROWS,
      where: `${codedInLastYear(p, 'smoking-at-delivery', SMOKER, asOf)} AND ${noReferralTo(p, 'stop-smoking', `${EV_DAY} - 280`)}`,
      date: EV_DAY,
      detail: `'Smoker at delivery'`,
    }),
  },
  {
    indicatorId: 'O1.3',
    title: 'Year 6 children measured as severely obese with no weight-management referral',
    who: 'Children registered with the practice measured as severely obese by the National Child Measurement Programme in the last 12 months, with no referral to a weight-management service since.',
    action: 'Talk with the family and offer a referral to a child weight-management service.',
    evidence: 'Measured (severely obese)', evidenceType: 'Observation',
    referKind: { kind: 'weight-management', words: 'Find a weight-management service' },
    sql: (p, asOf) => ({
      from: OBSERVATION_ROWS,
      where: `${codedInLastYear(p, 'ncmp-year6-weight-category', 'severely-obese', asOf)} AND ${noReferralTo(p, 'weight-management', EV_DAY)}`,
      date: EV_DAY,
      detail: `'Severely obese (NCMP Year 6)'`,
    }),
  },
  {
    indicatorId: 'O4.2',
    title: 'People with moderate or severe frailty and no integrated care team',
    who: 'People registered with the practice whose latest electronic frailty index is moderate or severe, with no active care-coordination team drawing on two or more organisations.',
    action: 'Consider them for proactive care: a care-coordination team with community and social care, and a personalised care plan.',
    evidence: 'Frailty index recorded', evidenceType: 'Observation',
    sql: (p, asOf) => ({
      from: OBSERVATION_ROWS,
      where: `${isObservation(p, 'efi-score')}
        AND ${j('ev')}#>>'{interpretation,0,coding,0,code}' IN ('moderate', 'severe')
        AND ${EV_DAY} <= ${p.add(asOf, 'date')}
        AND NOT EXISTS (SELECT 1 FROM sp_reference s2 JOIN resource later ON later.rid = s2.rid AND NOT later.deleted
                         WHERE s2.resource_type = 'Observation' AND s2.code = 'subject' AND s2.target_type = 'Patient' AND s2.target_id = pt.id AND s2.rid <> ev.rid
                           AND later.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Observation' AND t.code = 'code' AND t.value = 'efi-score')
                           AND ${j('later')}->>'effectiveDateTime' > ${j('ev')}->>'effectiveDateTime')
        AND NOT EXISTS (SELECT 1 FROM sp_reference x JOIN resource t ON t.rid = x.rid AND NOT t.deleted
                         WHERE x.resource_type = 'CareTeam' AND x.code = 'subject' AND x.target_type = 'Patient' AND x.target_id = pt.id
                           AND ${j('t')}->>'status' = 'active'
                           AND (SELECT count(DISTINCT m->'onBehalfOf'->>'reference') FROM jsonb_array_elements(${j('t')}->'participant') m) >= 2)`,
      date: EV_DAY,
      detail: `initcap(${j('ev')}#>>'{interpretation,0,coding,0,code}') || ' frailty'`,
    }),
  },
];

export const actionableListOf = (indicatorId: string): ActionableList | undefined => ACTIONABLE_LISTS.find((l) => l.indicatorId === indicatorId);
