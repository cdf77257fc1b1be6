import type { Resource } from '@medplum/fhirtypes';
import type { DemoAccount } from '../access/identity/demo-accounts.js';
import { restrictionFor } from '../access/policy/index.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { StaffPrincipal } from '../access/principal.js';
import { Params } from '../fhir/search.repository.js';
import { ageOn } from '../record-view/fhir-text.js';
import type { Platform } from '../platform.js';
import { TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { MH_PATHWAY_SYSTEM, MH_PATHWAYS, OUT_OF_AREA, OUT_OF_AREA_REASONS, type MhPathway, type OutOfAreaReason } from './pathway.vocabulary.js';

const HOUR = 3_600_000;
/** The demo's referrals: pathway and hours since referral (some within the standard, some near it, some past it). */
const REFERRALS: [MhPathway, number][] = [['fep', 12 * 24 + 3], ['fep', 16 * 24], ['fep', 3 * 24], ['crisis', 3], ['crisis', 30], ['core24', 0.7], ['perinatal', 5 * 24], ['perinatal', 20 * 24]];
const PLACEMENTS: [OutOfAreaReason, number][] = [['no-local-bed', 12], ['specialist-care', 30]];
/** Whom each pathway's demo referral may be about: early intervention in psychosis takes 14 to 65, perinatal services mothers. */
export const PATHWAY_AGES: Record<MhPathway, (c: { gender: string | null; age: number }) => boolean> = {
  fep: ({ age }) => age >= 14 && age <= 65,
  perinatal: ({ gender, age }) => gender === 'female' && age >= 16 && age <= 45,
  crisis: ({ age }) => age >= 18,
  core24: ({ age }) => age >= 18,
};

/**
 * The demo's mental health pathways: referrals on each pathway for the mental health practitioner's
 * team (some breached, a first-episode psychosis referral two days from its limit) and two
 * out-of-area placements, about people the account already sees. Fixed ids, written once.
 */
export async function seedDemoPathways(platform: Platform, accounts: DemoAccount[], now: Date): Promise<void> {
  const a = accounts.find((x) => x.role === 'mental-health-practitioner');
  if (!a?.organizationId) return;
  if ((await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Task' AND id = 'demo-mh-1'")).rows.length > 0) return;
  const principal: StaffPrincipal = {
    kind: 'staff', id: a.username, displayName: a.displayName, role: 'mental-health-practitioner', organizationId: a.organizationId, organizationIds: [a.organizationId],
    ...(a.practitionerId ? { practitionerId: a.practitionerId } : {}), via: 'session', credentialId: 'demo-seed',
  };
  const p = new Params();
  const cond = restrictionFor(principal, now)('r', 'Patient', p) ?? 'true';
  const candidates = (await platform.db.query<{ id: string; gender: string | null; birth: string | null }>(
    `SELECT r.id, r.content::jsonb ->> 'gender' AS gender, r.content::jsonb ->> 'birthDate' AS birth FROM resource r
      WHERE r.resource_type = 'Patient' AND NOT r.deleted AND ${cond} ORDER BY md5(r.id || 'mh-pathways-demo') LIMIT 400`, p.values,
  )).rows;
  // Each referral goes to someone the pathway is for (a perinatal referral to a woman of child-bearing age, not to any patient).
  const used = new Set<string>();
  const pick = (fits: (c: { gender: string | null; age: number }) => boolean): string | undefined => {
    const c = candidates.find((x) => {
      const age = ageOn(x.birth, now);
      return !used.has(x.id) && age !== undefined && fits({ gender: x.gender, age });
    });
    if (c) used.add(c.id);
    return c?.id;
  };
  const org = a.organizationId;
  const writes: Resource[] = [];
  const people = REFERRALS.map(([pathway]) => pick(PATHWAY_AGES[pathway]));
  const placed = PLACEMENTS.map(() => pick(({ age }) => age >= 18));
  REFERRALS.forEach(([pathway, hours], i) => {
    const pid = people[i];
    if (!pid) return;
    const w = MH_PATHWAYS[pathway];
    const at = new Date(now.getTime() - hours * HOUR);
    const code = { system: MH_PATHWAY_SYSTEM, code: pathway, display: w.text };
    writes.push({
      resourceType: 'ServiceRequest', id: `demo-mh-sr-${i + 1}`, meta: { tag: [recordedByTag(org)] }, status: 'active', intent: 'order', code: { coding: [code], text: w.text },
      subject: { reference: `Patient/${pid}` }, authoredOn: at.toISOString(), performer: [{ reference: `Organization/${org}` }],
    } as Resource);
    writes.push({
      resourceType: 'Task', id: `demo-mh-${i + 1}`, meta: { tag: [recordedByTag(org)] }, status: 'requested', intent: 'order',
      code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'referral', display: TASK_KINDS.referral }, code], text: w.text },
      description: `${w.text}: ${w.standard}`, for: { reference: `Patient/${pid}` }, focus: { reference: `ServiceRequest/demo-mh-sr-${i + 1}` },
      authoredOn: at.toISOString(), requester: { reference: `Organization/${org}` }, owner: { reference: `Organization/${org}` },
      restriction: { period: { end: new Date(at.getTime() + w.clockMs).toISOString() } },
    } as Resource);
  });
  PLACEMENTS.forEach(([reason, days], k) => {
    const pid = placed[k];
    if (!pid) return;
    writes.push({
      resourceType: 'Encounter', id: `demo-oap-${k + 1}`, meta: { tag: [recordedByTag(org)] }, status: 'in-progress',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' }, subject: { reference: `Patient/${pid}` },
      period: { start: new Date(now.getTime() - days * 24 * HOUR).toISOString().slice(0, 10) }, location: [{ location: { display: k === 0 ? 'Independent hospital, Surrey' : 'Specialist eating disorder unit, London' } }],
      extension: [
        { url: OUT_OF_AREA.placement, valueBoolean: true },
        { url: OUT_OF_AREA.reason, valueCodeableConcept: { coding: [{ system: `${MH_PATHWAY_SYSTEM}-out-of-area-reason`, code: reason, display: OUT_OF_AREA_REASONS[reason] }], text: OUT_OF_AREA_REASONS[reason] } },
        { url: OUT_OF_AREA.appropriate, valueBoolean: reason !== 'no-local-bed' },
      ],
    } as Resource);
  });
  for (const w of writes) await platform.resources.update(w.resourceType, w.id!, w);
}
