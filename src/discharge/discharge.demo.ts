import type { CarePlan, Encounter, EpisodeOfCare, Patient, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { DemoAccount } from '../access/identity/demo-accounts.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { Platform } from '../platform.js';
import { ageOn, formatDate } from '../record-view/fhir-text.js';
import { hashString, Prng } from '../synth/prng.js';
import type { TaskStatus } from '../workflow/task.vocabulary.js';
import { TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { DischargePartnersRepository } from './discharge-partners.repository.js';
import { dayNumber, isoDay } from './discharge.rules.js';
import {
  codingOf, conceptOf, DELAY_REASON_SYSTEM, DELAY_REASONS, DISCHARGE_PLAN_CATEGORY, DISCHARGE_TASK_SYSTEM, DISCHARGE_TASKS, EXT, PATHWAY_REQUEST,
  PATHWAY_SYSTEM, PATHWAYS, PLAN_PART_SYSTEM, PLAN_PARTS, REABLEMENT_EPISODE, type DelayReason, type DischargeTaskType, type Pathway, type PlanPart,
} from './discharge.vocabulary.js';

/**
 * The demo's discharges, on the synthetic population: people in hospital at the discharge
 * coordinator's trust across three wards, with realistic lengths of stay (several 21+ days and no
 * longer meeting the criteria to reside), readiness, dates, pathways and delay reasons; discharge
 * work for the council, the community trust, transport and a voluntary group in every state; the
 * carer demo's person in hospital with their plan for leaving shared; and people 65+ discharged into
 * reablement 91 to 94 days ago, whose follow-up the scheduled job raises at once. So the discharge
 * coordinator, community nurse and social worker demo accounts land on populated boards and hubs.
 * Deterministic (a PRNG stream of its own), fixed ids, written once: safe on every start.
 */
const STREAM = hashString('discharge-demo');
const DAY = 86_400_000;
/** Lengths of stay (days) of the demo's inpatients, longest first. */
const STAYS = [46, 34, 29, 25, 23, 22, 21, 19, 16, 15, 12, 10, 8, 6, 5, 3, 2, 1];
const WARDS = ['Ward 10 (care of older people)', 'Ward 12 (acute medicine)', 'Ward 14 (trauma and orthopaedics)'];
const STATES: TaskStatus[] = ['requested', 'accepted', 'in-progress', 'on-hold', 'completed', 'requested', 'cancelled', 'ready'];
const REASONS: DelayReason[] = ['awaiting-reablement', 'awaiting-care-home', 'awaiting-care-package', 'awaiting-assessment', 'awaiting-bed-rehab', 'awaiting-equipment', 'choice', 'awaiting-transport'];

export async function seedDemoDischarge(platform: Platform, accounts: DemoAccount[], now: Date): Promise<void> {
  const coordinator = accounts.find((a) => a.role === 'discharge-coordinator');
  if (!coordinator?.organizationId) return;
  const exists = await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Encounter' AND id = 'demo-stay-1'");
  if (exists.rows.length > 0) return;
  const trust = coordinator.organizationId;
  const today = dayNumber(now);
  const r = platform.resources;
  const rng = new Prng(1, STREAM, 0);
  const partners = new DischargePartnersRepository();

  // The trust's site (where its synthetic stays are), and three wards there.
  const site = (await platform.db.query<{ id: string }>(
    `SELECT id FROM resource WHERE resource_type = 'Location' AND NOT deleted AND content::jsonb #>> '{managingOrganization,reference}' = $1 ORDER BY id LIMIT 1`, [`Organization/${trust}`],
  )).rows[0]?.id;
  const wards = WARDS.map((name, i) => ({ id: `demo-ward-${i + 1}`, name }));
  for (const w of wards) {
    await r.update('Location', w.id, {
      resourceType: 'Location', id: w.id, status: 'active', name: w.name, mode: 'instance',
      physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'wa', display: 'Ward' }] },
      managingOrganization: { reference: `Organization/${trust}` }, ...(site ? { partOf: { reference: `Location/${site}` } } : {}),
    });
  }

  // Older residents not in hospital now, the carer demo's person first.
  const carerOf = accounts.find((a) => a.kind === 'proxy')?.patientId;
  const candidates = (await platform.db.query<{ id: string; content: string }>(
    `SELECT p.id, p.content FROM resource p WHERE p.resource_type = 'Patient' AND NOT p.deleted
       AND NOT EXISTS (SELECT 1 FROM discharge_stay d WHERE d.patient_id = p.id AND d.status = 'in-progress')
     ORDER BY p.id = $1 DESC, md5(p.id || 'discharge-demo') LIMIT 400`, [carerOf ?? ''],
  )).rows.map((x) => JSON.parse(x.content) as Patient).filter((p) => (ageOn(p.birthDate, now) ?? 0) >= 65 || p.id === carerOf);
  const people = candidates.slice(0, STAYS.length + 4);
  const dt = (day: number, minutes: number) => new Date(day * DAY + minutes * 60_000).toISOString();
  const writes: Resource[] = [];
  let taskNo = 0;
  const task = async (p: Patient, stayId: string, type: DischargeTaskType, state: TaskStatus, due: number, extra: Partial<Task> = {}): Promise<void> => {
    const [partner] = await partners.partners(platform.db, type, p);
    if (!partner) return;
    const id = `demo-dtask-${++taskNo}`;
    writes.push({
      resourceType: 'Task', id, meta: { tag: [recordedByTag(trust)] }, status: state, intent: 'order', priority: 'urgent',
      code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'discharge', display: TASK_KINDS.discharge }, codingOf(DISCHARGE_TASK_SYSTEM, type, DISCHARGE_TASKS)], text: DISCHARGE_TASKS[type] },
      description: `${DISCHARGE_TASKS[type]}: for the discharge from hospital`, for: { reference: `Patient/${p.id}` },
      focus: { reference: `Encounter/${stayId}` }, encounter: { reference: `Encounter/${stayId}` }, authoredOn: dt(today - 3, 600),
      requester: { reference: `Practitioner/${coordinator.practitionerId}` }, owner: { reference: `Organization/${partner.orgId}`, display: partner.name },
      restriction: { period: { end: dt(due, 17 * 60) } },
      ...(state === 'on-hold' ? { statusReason: { text: 'Waiting for the family to agree a start date' } } : {}),
      ...(state === 'cancelled' ? { statusReason: { text: 'No longer needed: the family will provide this' } } : {}),
      ...(state === 'in-progress' || state === 'completed' ? { executionPeriod: { start: dt(today - 2, 600), ...(state === 'completed' ? { end: dt(today - 1, 600) } : {}) } } : {}),
      ...extra,
    } as Task);
  };

  for (let i = 0; i < STAYS.length && i < people.length; i++) {
    const p = people[i];
    const los = STAYS[i];
    const id = `demo-stay-${i + 1}`;
    const admitted = today - los;
    const ward = wards[i % wards.length];
    // Three in four of those here two weeks or more no longer meet the criteria; a few shorter stays too.
    const ready = los >= 14 ? i % 4 !== 3 : los >= 5 && i % 3 === 0;
    const readyDay = ready ? admitted + Math.max(1, Math.floor(los * (0.35 + 0.3 * rng.next()))) : undefined;
    const pathway: Pathway | undefined = ready ? (['1', '3', '1', '2', '1', '0', '1'] as Pathway[])[i % 7] : los >= 3 && i % 2 === 0 ? '1' : undefined;
    const reason = ready && pathway !== '0' ? REASONS[i % REASONS.length] : undefined;
    const expected = ready || i === 0 ? today + 1 + (i % 4) : los >= 3 ? today + 3 + (i % 5) : undefined;
    const notReviewed = i === STAYS.length - 1 || i === 9;
    const carerPerson = p.id === carerOf;
    const shared = carerPerson || (expected !== undefined && i % 3 !== 1) ? dt(today - 1, 14 * 60) : undefined;
    const ext = [
      ...(readyDay !== undefined ? [{ url: EXT.readyDate, valueDateTime: isoDay(readyDay) }] : []),
      ...(expected !== undefined ? [{ url: EXT.expectedDate, valueDate: isoDay(carerPerson ? today + 1 : expected) }] : []),
      ...(pathway ? [{ url: EXT.pathway, valueCodeableConcept: conceptOf(PATHWAY_SYSTEM, pathway, PATHWAYS) }] : []),
      ...(reason ? [{ url: EXT.delayReason, valueCodeableConcept: conceptOf(DELAY_REASON_SYSTEM, reason, DELAY_REASONS) }] : []),
      ...(shared ? [{ url: EXT.planShared, valueDateTime: shared }] : []),
      ...(notReviewed ? [] : [{ url: EXT.criteriaReviewed, valueDateTime: dt(today, 8 * 60 + 30) }]),
    ];
    writes.push({
      resourceType: 'Encounter', id, meta: { tag: [recordedByTag(trust)] }, status: 'in-progress', extension: ext,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
      type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/encounter-type', code: 'emergency-admission', display: 'Emergency admission' }], text: 'Emergency admission' }],
      subject: { reference: `Patient/${p.id}` }, serviceProvider: { reference: `Organization/${trust}` },
      participant: [{ individual: { reference: `Practitioner/${coordinator.practitionerId}` } }],
      period: { start: dt(admitted, 8 * 60 + rng.int(12 * 60)) },
      location: [
        ...(site ? [{ location: { reference: `Location/${site}` } }] : []),
        { location: { reference: `Location/${ward.id}`, display: ward.name }, physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'wa' }] } },
      ],
    } as Encounter);
    if (!notReviewed) {
      writes.push({
        resourceType: 'Observation', id: `demo-ctr-${i + 1}`, meta: { tag: [recordedByTag(trust)] }, status: 'final',
        code: { coding: [{ system: 'https://onestory.example/fhir/CodeSystem/observation', code: 'meets-criteria-to-reside', display: 'Meets the criteria to reside in hospital' }] },
        subject: { reference: `Patient/${p.id}` }, encounter: { reference: `Encounter/${id}` }, effectiveDateTime: dt(today, 8 * 60 + 30),
        performer: [{ reference: `Practitioner/${coordinator.practitionerId}` }], valueBoolean: !ready,
      } as Resource);
    }
    // The pathway's request, as the service would have raised it.
    const request = pathway ? PATHWAY_REQUEST[pathway] : undefined;
    if (request) {
      const [partner] = await partners.partners(platform.db, request.task, p);
      if (partner) {
        writes.push({
          resourceType: 'ServiceRequest', id: `demo-dsr-${i + 1}`, meta: { tag: [recordedByTag(trust)] }, status: 'active', intent: 'order', priority: 'urgent',
          code: request.code, subject: { reference: `Patient/${p.id}` }, encounter: { reference: `Encounter/${id}` }, authoredOn: dt(today - 2, 600),
          requester: { reference: `Practitioner/${coordinator.practitionerId}` }, performer: [{ reference: `HealthcareService/${partner.serviceId}`, display: partner.serviceName }],
        } as ServiceRequest);
        await task(p, id, request.task, STATES[i % STATES.length], today + (i % 3) - 1, { basedOn: [{ reference: `ServiceRequest/demo-dsr-${i + 1}` }] });
      }
    }
    if (ready || los >= 10) {
      const extras: DischargeTaskType[] = (['community-nursing', 'equipment', 'transport', 'home-from-hospital', 'care-package'] as DischargeTaskType[]).filter((_, k) => (i + k) % 3 === 0);
      for (const [k, type] of extras.entries()) await task(p, id, type, STATES[(i + k + 2) % STATES.length], today + ((i + k) % 4) - 1);
    }
    if (shared) {
      const words: Record<PlanPart, string> = {
        where: pathway === '3' ? 'To a care home near your family, chosen with you' : pathway === '2' ? 'To a rehabilitation bed in a community hospital for a few weeks' : 'Home',
        when: `On ${formatDate(isoDay(carerPerson ? today + 1 : expected ?? today + 2))}, usually in the late morning. Hospital transport will take you.`,
        support: pathway === '1' ? 'The council’s reablement team will visit up to four times a day for up to six weeks to help you get back on your feet.' : 'Your GP practice and the community nurses will know you are home.',
        contact: 'Call the ward if you have questions before you leave. After you are home, call your GP practice, or 111 if it is urgent.',
        medicines: 'You will go home with two weeks of your medicines. A new water tablet in the morning; your other tablets are the same as before.',
      };
      writes.push({
        resourceType: 'CarePlan', id: `discharge-plan-${id}`, meta: { tag: [recordedByTag(trust)] }, status: 'active', intent: 'plan',
        category: [{ coding: [DISCHARGE_PLAN_CATEGORY], text: DISCHARGE_PLAN_CATEGORY.display }], title: 'Your plan for leaving hospital',
        subject: { reference: `Patient/${p.id}` }, encounter: { reference: `Encounter/${id}` }, created: shared, description: words.where,
        author: { reference: `Practitioner/${coordinator.practitionerId}` },
        activity: (Object.keys(PLAN_PARTS) as PlanPart[]).map((part) => ({ detail: { code: { coding: [codingOf(PLAN_PART_SYSTEM, part, PLAN_PARTS)], text: PLAN_PARTS[part] }, status: 'scheduled', description: words[part] } })),
      } as CarePlan);
    }
  }

  // People discharged into reablement 91 to 94 days ago: their day-91 follow-up is due now.
  for (let k = 0; k < 4 && STAYS.length + k < people.length; k++) {
    const p = people[STAYS.length + k];
    const [council] = await partners.partners(platform.db, 'reablement', p);
    if (!council) continue;
    const left = today - 91 - k;
    writes.push({
      resourceType: 'Encounter', id: `demo-past-stay-${k + 1}`, meta: { tag: [recordedByTag(trust)] }, status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
      subject: { reference: `Patient/${p.id}` }, serviceProvider: { reference: `Organization/${trust}` }, period: { start: dt(left - 9 - k, 600), end: dt(left, 660) },
      extension: [{ url: EXT.pathway, valueCodeableConcept: conceptOf(PATHWAY_SYSTEM, '1', PATHWAYS) }],
      hospitalization: { dischargeDisposition: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/discharge-disposition', code: 'home', display: 'Home' }], text: 'Home' } },
    } as Encounter);
    writes.push({
      resourceType: 'EpisodeOfCare', id: `demo-reablement-${k + 1}`, meta: { tag: [recordedByTag(council.orgId)] }, status: 'finished',
      type: [{ coding: [REABLEMENT_EPISODE], text: REABLEMENT_EPISODE.display }], patient: { reference: `Patient/${p.id}` },
      managingOrganization: { reference: `Organization/${council.orgId}` }, period: { start: isoDay(left), end: isoDay(left + 35) },
    } as EpisodeOfCare);
  }
  for (const w of writes) await r.update(w.resourceType, w.id!, w);
  await platform.discharge.reablement.raiseFollowUps(now);
}
