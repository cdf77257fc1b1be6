-- The discharge board's view of every stay in hospital (src/discharge/discharge-stay.table.ts): one
-- row per inpatient Encounter (class IMP), kept in step with the Encounter in the same write
-- statement (a derived table, like task_work). The board filters, counts and sorts on these columns;
-- the row restriction is still applied to the Encounter and the Patient rows themselves, so the
-- board shows exactly what the FHIR API would show the same user.
CREATE TABLE discharge_stay (
  rid               bigint NOT NULL,
  status            text   NOT NULL,
  patient_id        text,
  -- Encounter.serviceProvider: the trust.
  provider_org      text,
  -- Encounter.location: the site, and the ward (the entry whose physicalType is `wa`).
  site_id           text,
  ward_id           text,
  ward_name         text,
  admitted          timestamptz,
  discharged        timestamptz,
  -- The Discharge Ready Date: the first day the person no longer met the criteria to reside.
  ready_date        timestamptz,
  expected_date     timestamptz,
  pathway           text,
  delay_reason      text,
  -- When the discharge plan was shared with the person and their carer in the portal.
  plan_shared       timestamptz,
  criteria_reviewed timestamptz
);
CREATE INDEX discharge_stay_rid ON discharge_stay (rid);
-- The board: the stays in progress at one trust (and ward).
CREATE INDEX discharge_stay_current ON discharge_stay (provider_org, ward_id, admitted, rid) WHERE status = 'in-progress';
-- The figures (21+ days, 91 days): finished stays by when they ended.
CREATE INDEX discharge_stay_discharged ON discharge_stay (discharged, rid) WHERE status = 'finished';

-- The board's discharge tasks, and a person's work: tasks by person and kind.
CREATE INDEX task_work_patient_kind ON task_work (patient_id, kind);

-- Stays written before this migration: the same columns, read from the stored JSON.
INSERT INTO discharge_stay (rid, status, patient_id, provider_org, site_id, ward_id, ward_name, admitted, discharged,
                            ready_date, expected_date, pathway, delay_reason, plan_shared, criteria_reviewed)
SELECT r.rid,
       coalesce(c->>'status', 'unknown'),
       substring(c#>>'{subject,reference}' from '^Patient/([A-Za-z0-9.-]{1,64})$'),
       substring(c#>>'{serviceProvider,reference}' from '^Organization/([A-Za-z0-9.-]{1,64})$'),
       (SELECT substring(l#>>'{location,reference}' from '^Location/([A-Za-z0-9.-]{1,64})$') FROM jsonb_array_elements(coalesce(c->'location', '[]')) l
         WHERE NOT coalesce(l#>'{physicalType,coding}' @> '[{"code": "wa"}]', false) LIMIT 1),
       (SELECT substring(l#>>'{location,reference}' from '^Location/([A-Za-z0-9.-]{1,64})$') FROM jsonb_array_elements(coalesce(c->'location', '[]')) l
         WHERE coalesce(l#>'{physicalType,coding}' @> '[{"code": "wa"}]', false) LIMIT 1),
       (SELECT l#>>'{location,display}' FROM jsonb_array_elements(coalesce(c->'location', '[]')) l
         WHERE coalesce(l#>'{physicalType,coding}' @> '[{"code": "wa"}]', false) LIMIT 1),
       onestory_try_instant(c#>>'{period,start}'),
       onestory_try_instant(c#>>'{period,end}'),
       onestory_try_instant((SELECT x->>'valueDateTime' FROM jsonb_array_elements(coalesce(c->'extension', '[]')) x
         WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/no-longer-meets-criteria-to-reside' LIMIT 1)),
       onestory_try_instant((SELECT x->>'valueDate' FROM jsonb_array_elements(coalesce(c->'extension', '[]')) x
         WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/expected-discharge-date' LIMIT 1)),
       (SELECT y->>'code' FROM jsonb_array_elements(coalesce(c->'extension', '[]')) x, jsonb_array_elements(coalesce(x#>'{valueCodeableConcept,coding}', '[]')) y
         WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/discharge-pathway'
           AND y->>'system' = 'https://onestory.example/fhir/CodeSystem/discharge-pathway' LIMIT 1),
       (SELECT y->>'code' FROM jsonb_array_elements(coalesce(c->'extension', '[]')) x, jsonb_array_elements(coalesce(x#>'{valueCodeableConcept,coding}', '[]')) y
         WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/discharge-delay-reason'
           AND y->>'system' = 'https://onestory.example/fhir/CodeSystem/discharge-delay-reason' LIMIT 1),
       onestory_try_instant((SELECT x->>'valueDateTime' FROM jsonb_array_elements(coalesce(c->'extension', '[]')) x
         WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/discharge-plan-shared' LIMIT 1)),
       onestory_try_instant((SELECT x->>'valueDateTime' FROM jsonb_array_elements(coalesce(c->'extension', '[]')) x
         WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/criteria-to-reside-reviewed' LIMIT 1))
FROM (SELECT rid, content::jsonb AS c FROM resource WHERE resource_type = 'Encounter' AND NOT deleted) r
WHERE r.c#>>'{class,code}' = 'IMP';
