import type { Encounter } from '@medplum/fhirtypes';
import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';
import { localReference } from '../fhir/reference.js';
import { DELAY_REASON_SYSTEM, EXT, PATHWAY_SYSTEM } from './discharge.vocabulary.js';

/** A FHIR date or dateTime as an instant the database can compare; null when unreadable. */
function instant(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const extOf = (e: Encounter, url: string) => e.extension?.find((x) => x.url === url);
const codeIn = (system: string, c: { coding?: { system?: string; code?: string }[] } | undefined) => c?.coding?.find((x) => x.system === system)?.code ?? null;

/** Whether an Encounter is a stay in hospital (class IMP): the only ones the board counts. */
export const isInpatientStay = (e: Encounter): boolean => e.class?.code === 'IMP';

/** The board's columns of one inpatient Encounter (see migration 015). */
export function dischargeStayRow(e: Encounter): unknown[] {
  const patient = localReference(e.subject?.reference);
  const provider = localReference(e.serviceProvider?.reference);
  const locations = e.location ?? [];
  const ward = locations.find((l) => l.physicalType?.coding?.some((c) => c.code === 'wa'));
  const site = locations.find((l) => l !== ward);
  const wardKey = localReference(ward?.location?.reference);
  const siteKey = localReference(site?.location?.reference);
  return [
    e.status ?? 'unknown',
    patient?.type === 'Patient' ? patient.id : null,
    provider?.type === 'Organization' ? provider.id : null,
    siteKey?.type === 'Location' ? siteKey.id : null,
    wardKey?.type === 'Location' ? wardKey.id : null,
    ward?.location?.display ?? null,
    instant(e.period?.start),
    instant(e.period?.end),
    instant(extOf(e, EXT.readyDate)?.valueDateTime),
    instant(extOf(e, EXT.expectedDate)?.valueDate),
    codeIn(PATHWAY_SYSTEM, extOf(e, EXT.pathway)?.valueCodeableConcept),
    codeIn(DELAY_REASON_SYSTEM, extOf(e, EXT.delayReason)?.valueCodeableConcept),
    instant(extOf(e, EXT.planShared)?.valueDateTime),
    instant(extOf(e, EXT.criteriaReviewed)?.valueDateTime),
  ];
}

/** discharge_stay, kept in step with every inpatient Encounter write (registered in src/platform.ts). */
export const DISCHARGE_STAY_TABLE: DerivedTable = {
  table: 'discharge_stay',
  columns: ['status', 'patient_id', 'provider_org', 'site_id', 'ward_id', 'ward_name', 'admitted', 'discharged', 'ready_date', 'expected_date',
    'pathway', 'delay_reason', 'plan_shared', 'criteria_reviewed'],
  types: ['text', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'timestamptz', 'timestamptz', 'timestamptz', 'text', 'text', 'timestamptz', 'timestamptz'],
  rows: (w: VersionWrite) => {
    if (w.resourceType !== 'Encounter' || !w.content) return [];
    const e = JSON.parse(w.content) as Encounter;
    return isInpatientStay(e) ? [dischargeStayRow(e)] : [];
  },
};
