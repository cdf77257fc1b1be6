import { createStaff } from '../access/identity/identity.test-helpers.js';
import type { Platform } from '../platform.js';
import { CARE_PASSWORD } from '../record-view/care.fixtures.js';
import { efiCodeSets } from './efi.vocabulary.js';

/**
 * A small world for cohorts and case finding: one primary care network (pcn-a) of two practices
 * (prac-1, prac-2), people of every state at each, and staff: a GP at each practice, a care
 * coordinator at the network, an ICB analyst. `NOW` is the day the tests run "as of".
 */
export const PC_NOW = new Date('2025-07-01T12:00:00Z');
export const PC_USERS = { gp1: 'pc.gp1', gp2: 'pc.gp2', coordinator: 'pc.cc', analyst: 'pc.analyst' } as const;
export const PC_PASSWORD = CARE_PASSWORD;

const SNOMED = 'http://snomed.info/sct';
/** A code of each eFI deficit that no other deficit's set holds. */
const soleCodes = () => {
  const sets = efiCodeSets();
  return sets.deficits.filter((d) => d.codes.length > 0).map((d) => d.codes.find((c) => sets.byCode.get(c)!.length === 1)!);
};

export interface PcPerson {
  id: string;
  practice: 'prac-1' | 'prac-2';
  birthDate: string;
  deficits: number;
  admissions: number;
  plan?: boolean;
  carer?: boolean;
  quintile?: number;
}

/** Who is in the world: at each practice, case-finding people (moderate or severe, admitted, no plan) and people who miss by one criterion. */
export const PC_PEOPLE: PcPerson[] = [
  // prac-1: four on case finding, and one each missing a criterion.
  { id: 'p1-cf-a', practice: 'prac-1', birthDate: '1938-05-01', deficits: 14, admissions: 2, carer: true, quintile: 1 },
  { id: 'p1-cf-b', practice: 'prac-1', birthDate: '1944-01-01', deficits: 10, admissions: 1, quintile: 2 },
  { id: 'p1-cf-c', practice: 'prac-1', birthDate: '1950-06-01', deficits: 9, admissions: 1, quintile: 3 },
  { id: 'p1-cf-d', practice: 'prac-1', birthDate: '1941-09-01', deficits: 11, admissions: 3, carer: true, quintile: 1 },
  { id: 'p1-planned', practice: 'prac-1', birthDate: '1940-01-01', deficits: 12, admissions: 1, plan: true },
  { id: 'p1-no-adm', practice: 'prac-1', birthDate: '1942-01-01', deficits: 10, admissions: 0 },
  { id: 'p1-mild', practice: 'prac-1', birthDate: '1945-01-01', deficits: 6, admissions: 2 },
  { id: 'p1-young', practice: 'prac-1', birthDate: '1980-01-01', deficits: 10, admissions: 1 },
  // prac-2: five on case finding.
  ...[0, 1, 2, 3, 4].map((i): PcPerson => ({ id: `p2-cf-${i}`, practice: 'prac-2', birthDate: `193${i}-02-01`, deficits: 9 + i, admissions: 1, quintile: 4 })),
  { id: 'p2-fit', practice: 'prac-2', birthDate: '1955-01-01', deficits: 2, admissions: 0 },
];

export async function seedProactiveCareWorld(platform: Platform): Promise<void> {
  const put = (type: string, id: string, body: object) => platform.resources.update(type, id, { resourceType: type, id, ...body });
  await put('Organization', 'pcn-a', { name: 'Riverside Primary Care Network', active: true });
  await put('Organization', 'prac-1', { name: 'Riverside Surgery', active: true, partOf: { reference: 'Organization/pcn-a' } });
  await put('Organization', 'prac-2', { name: 'Hillview Practice', active: true, partOf: { reference: 'Organization/pcn-a' } });
  await put('Organization', 'acute-1', { name: 'County Hospital', active: true });
  const codes = soleCodes();
  for (const p of PC_PEOPLE) {
    await put('Patient', p.id, {
      name: [{ family: `Person-${p.id}`, given: ['Test'] }], birthDate: p.birthDate,
      generalPractitioner: [{ reference: `Organization/${p.practice}` }], managingOrganization: { reference: `Organization/${p.practice}` },
      extension: [
        { url: 'https://onestory.example/fhir/StructureDefinition/district', valueString: 'maidstone' },
        { url: 'https://onestory.example/fhir/StructureDefinition/deprivation-quintile', valueInteger: p.quintile ?? 3 },
      ],
    });
    for (let i = 0; i < p.deficits; i++) {
      await put('Condition', `${p.id}-c${i}`, { subject: { reference: `Patient/${p.id}` }, code: { coding: [{ system: SNOMED, code: codes[i] }] }, meta: { tag: [] } });
    }
    for (let i = 0; i < p.admissions; i++) {
      const start = new Date(PC_NOW.getTime() - (30 + 40 * i) * 86_400_000).toISOString();
      await put('Encounter', `${p.id}-adm${i}`, {
        status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
        priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority', code: 'EM' }] },
        subject: { reference: `Patient/${p.id}` }, period: { start, end: start }, serviceProvider: { reference: 'Organization/acute-1' },
      });
    }
    if (p.plan) {
      await put('CarePlan', `${p.id}-plan`, { status: 'active', intent: 'plan', subject: { reference: `Patient/${p.id}` }, title: 'Personalised care and support plan' });
    }
    if (p.carer) {
      await put('RelatedPerson', `${p.id}-carer`, { active: true, patient: { reference: `Patient/${p.id}` }, name: [{ family: 'Carer', given: ['Kim'] }] });
    }
  }
  await createStaff(platform, PC_USERS.gp1, PC_PASSWORD, [{ organizationId: 'prac-1', role: 'gp' }]);
  await createStaff(platform, PC_USERS.gp2, PC_PASSWORD, [{ organizationId: 'prac-2', role: 'gp' }]);
  await createStaff(platform, PC_USERS.coordinator, PC_PASSWORD, [{ organizationId: 'pcn-a', role: 'care-coordinator' }]);
  await createStaff(platform, PC_USERS.analyst, PC_PASSWORD, [{ organizationId: 'pcn-a', role: 'icb-analyst' }]);
}
