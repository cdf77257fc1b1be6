import type { HealthcareService, Patient } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { localReference } from '../fhir/reference.js';
import { ext } from '../synth/fhir.helpers.js';
import { TASK_SERVICE_KINDS, type DischargeTaskType } from './discharge.vocabulary.js';

/** An organisation that may take a kind of discharge work for a person, through one of its services. */
export interface Partner {
  orgId: string;
  name: string;
  serviceId: string;
  serviceName: string;
}

/** The local authority whose adult social care covers a district: Medway Council for Medway, Kent County Council for the rest. */
export const authorityOf = (district: string | undefined): 'Kent' | 'Medway' => (district === 'medway' ? 'Medway' : 'Kent');

/**
 * Who may take each kind of discharge work for a person, from the directory (HealthcareService by
 * service type, TASK_SERVICE_KINDS): services of the person's district, or serving all of Kent and
 * Medway; a council's service only for people of that council's area. The directory is public to
 * staff, so this reads it without a row restriction.
 */
export class DischargePartnersRepository {
  async partners(db: Queryable, type: DischargeTaskType, patient: Patient): Promise<Partner[]> {
    const kinds = TASK_SERVICE_KINDS[type];
    const district = patient.extension?.find((x) => x.url === ext.district)?.valueString;
    const res = await db.query<{ content: string; org: string | null }>(
      `SELECT h.content, o.content AS org FROM resource h
         LEFT JOIN sp_reference pr ON pr.rid = h.rid AND pr.code = 'organization' AND pr.target_type = 'Organization'
         LEFT JOIN resource o ON o.resource_type = 'Organization' AND o.id = pr.target_id AND NOT o.deleted
        WHERE h.resource_type = 'HealthcareService' AND NOT h.deleted
          AND h.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'HealthcareService' AND t.code = 'service-type' AND t.value = ANY($1::text[]))
        ORDER BY h.id`,
      [kinds],
    );
    const out: Partner[] = [];
    const authority = authorityOf(district);
    for (const row of res.rows) {
      const hs = JSON.parse(row.content) as HealthcareService;
      if (hs.active === false) continue;
      const org = localReference(hs.providedBy?.reference);
      if (org?.type !== 'Organization') continue;
      const orgName = row.org ? (JSON.parse(row.org) as { name?: string }).name ?? org.id : org.id;
      const served = hs.extension?.find((x) => x.url === ext.district)?.valueString;
      if (served && district && served !== district) continue;
      const council = /council/i.test(orgName);
      if (!served && council && !orgName.includes(authority)) continue;
      if (out.some((p) => p.orgId === org.id)) continue;
      out.push({ orgId: org.id, name: orgName, serviceId: hs.id!, serviceName: hs.name ?? orgName });
    }
    return out;
  }
}
