-- Proactive care (src/proactive-care): what the cohort builder and case finding filter on, one row per
-- person, written by the frailty computation (FrailtyService.computeAll: nightly, at demo load and
-- `npx onestory efi compute`) alongside each person's eFI RiskAssessment. Facts that change from one
-- write to the next and that case finding must never miss (an active care plan, a named professional,
-- a coded condition) are not copied here: they are read live from the record's index at query time.
CREATE TABLE person_risk (
  patient_id            text PRIMARY KEY,
  birth_date            date,
  district              text,
  -- The registered practice (Patient.generalPractitioner) and its primary care network (the practice's partOf).
  practice_id           text,
  pcn_id                text,
  deprivation_quintile  smallint,
  -- The electronic Frailty Index (65 and over only; null under 65): deficits present of 36, the score, its category.
  efi_deficits          smallint,
  efi_score             numeric(4, 3),
  efi_category          text,
  -- The deficit keys and evidence the last RiskAssessment was written from: unchanged, nothing is rewritten.
  efi_signature         text,
  -- Emergency admissions starting in the 365 days before computed_at.
  emergency_admissions  integer NOT NULL DEFAULT 0,
  -- Distinct medicines prescribed in the 365 days before computed_at.
  medicines_12m         integer NOT NULL DEFAULT 0,
  -- An active RelatedPerson who cares for the person.
  has_carer             boolean NOT NULL DEFAULT false,
  computed_at           timestamptz NOT NULL
);
CREATE INDEX person_risk_practice ON person_risk (practice_id, efi_category);
CREATE INDEX person_risk_pcn ON person_risk (pcn_id, efi_category);
CREATE INDEX person_risk_category ON person_risk (efi_category) WHERE efi_category IN ('moderate', 'severe');
