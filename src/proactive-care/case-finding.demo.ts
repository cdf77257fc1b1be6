import type { DemoAccount } from '../access/identity/demo-accounts.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { Platform } from '../platform.js';
import { TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { HAS_CARE_PLAN } from './cohort.repository.js';

/** People the demo GP's case-finding list should hold at least. */
export const DEMO_CASE_FINDING_PEOPLE = 3;

/**
 * The demo's case-finding list, populated: a 2,000-resident network has only a handful of people
 * who are moderately or severely frail, admitted in an emergency in the last year and without a
 * care plan, and the GP's own practice may have none. So, at the demo GP's practice, the frailest
 * people 65+ without a care plan are made to qualify: those without an emergency admission in the
 * last year get one (three weeks ago, at the hospital of another of their stays), and their eFI is
 * computed again. For the PCN's care coordinator, each is referred by the practice to the network's
 * proactive care team (an open pool Task: the care relationship that lets the coordinator see them by
 * name, and work on My work). Fixed ids, written only when missing: safe on every start.
 */
export async function seedDemoCaseFinding(platform: Platform, accounts: DemoAccount[], now: Date): Promise<void> {
  const gp = accounts.find((a) => a.kind === 'staff' && a.role === 'gp');
  const cc = accounts.find((a) => a.kind === 'staff' && a.role === 'care-coordinator');
  if (!gp?.organizationId) return;
  const done = await platform.db.query(`SELECT 1 FROM resource WHERE resource_type = 'Task' AND id LIKE 'demo-case-finding-%' LIMIT 1`);
  if (done.rows.length > 0) return;
  const people = await platform.db.query<{ patient_id: string; emergency_admissions: number }>(
    `SELECT pr.patient_id, pr.emergency_admissions FROM person_risk pr
      WHERE pr.practice_id = $1 AND pr.efi_category IN ('moderate', 'severe') AND NOT ${HAS_CARE_PLAN}
      ORDER BY pr.emergency_admissions > 0 DESC, pr.efi_score DESC, pr.patient_id LIMIT $2`,
    [gp.organizationId, DEMO_CASE_FINDING_PEOPLE + 2],
  );
  if (people.rows.length === 0) return;
  // A hospital the population already uses, for the admission.
  const hospital = await platform.db.query<{ provider: string; location: string | null }>(
    `SELECT content::jsonb #>> '{serviceProvider,reference}' AS provider, content::jsonb #>> '{location,0,location,reference}' AS location
       FROM resource WHERE resource_type = 'Encounter' AND NOT deleted AND content::jsonb #>> '{class,code}' = 'IMP' LIMIT 1`,
  );
  const h = hospital.rows[0];
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  for (const [i, p] of people.rows.entries()) {
    if (p.emergency_admissions === 0 && h?.provider) {
      const id = `demo-case-finding-admission-${i + 1}`;
      await platform.resources.update('Encounter', id, {
        resourceType: 'Encounter', id, status: 'finished', meta: { tag: [recordedByTag(h.provider.split('/')[1])] },
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
        priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority', code: 'EM', display: 'emergency' }], text: 'emergency' },
        type: [{ text: 'Emergency admission' }], reasonCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '161898004', display: 'Falls' }], text: 'Fall at home' }],
        subject: { reference: `Patient/${p.patient_id}` }, period: { start: `${day(-24)}T14:10:00Z`, end: `${day(-19)}T11:00:00Z` },
        hospitalization: { admitSource: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/admit-source', code: 'emd', display: 'From accident/emergency department' }] } },
        serviceProvider: { reference: h.provider }, ...(h.location ? { location: [{ location: { reference: h.location } }] } : {}),
      });
    }
    if (cc?.organizationId) {
      const id = `demo-case-finding-${i + 1}`;
      await platform.resources.update('Task', id, {
        resourceType: 'Task', id, meta: { tag: [recordedByTag(gp.organizationId)] }, status: 'requested', intent: 'order',
        code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'care-plan-review', display: TASK_KINDS['care-plan-review'] }], text: TASK_KINDS['care-plan-review'] },
        description: 'Proactive care: frail, admitted to hospital, no care plan (found by case finding)',
        for: { reference: `Patient/${p.patient_id}` }, authoredOn: day(-2),
        requester: { reference: `Organization/${gp.organizationId}` }, owner: { reference: `Organization/${cc.organizationId}` },
        restriction: { period: { end: day(12) } },
      });
    }
  }
  await platform.proactiveCare.frailty.computeFor(people.rows.map((p) => p.patient_id), now);
}
