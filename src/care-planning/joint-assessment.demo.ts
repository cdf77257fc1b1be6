import type { DemoAccount } from '../access/identity/demo-accounts.js';
import type { StaffPrincipal } from '../access/principal.js';
import type { Platform } from '../platform.js';
import { hashString, Prng } from '../synth/prng.js';
import { PARTS } from './joint-assessment.vocabulary.js';

function principalOf(a: DemoAccount | undefined): StaffPrincipal | undefined {
  if (!a || a.kind !== 'staff' || !a.role || !a.organizationId) return undefined;
  return {
    kind: 'staff', id: a.username, displayName: a.displayName, role: a.role, organizationId: a.organizationId, organizationIds: [a.organizationId],
    ...(a.practitionerId ? { practitionerId: a.practitionerId } : {}), via: 'session', credentialId: 'demo-seed',
  };
}

/** Its own stream, so the synthetic population's streams (and their calibration) do not shift. */
const STREAM = hashString('joint-assessment-demo');

/**
 * The demo's joint assessment, in progress, written through the same service as the pages: the care
 * coordinator started it for the demo resident and answered the health part; the social care part
 * and the carer's assessment wait on the social worker's list (their council), "about me" waits for
 * the resident in the portal, and the carer sees their assessment offered. Skipped when the resident
 * already has one.
 */
export async function seedDemoJointAssessment(platform: Platform, accounts: DemoAccount[]): Promise<void> {
  const cc = principalOf(accounts.find((a) => a.role === 'care-coordinator'));
  const sw = accounts.find((a) => a.role === 'social-worker');
  const resident = accounts.find((a) => a.kind === 'resident')?.patientId;
  const carer = accounts.find((a) => a.kind === 'proxy')?.relatedPersonId;
  if (!cc || !sw?.organizationId || !resident || sw.organizationId === cc.organizationId) return;
  const ja = platform.carePlanning.assessments;
  if ((await ja.forPerson(cc, resident)).length > 0) return;
  const a = await ja.start(cc, resident, [
    { code: 'health', owner: `Organization/${cc.organizationId}` }, { code: 'social-care', owner: `Organization/${sw.organizationId}` },
    ...(carer ? [{ code: 'carer' as const, owner: `Organization/${sw.organizationId}`, carer: `RelatedPerson/${carer}` }] : []),
  ]);
  const rng = new Prng(1, STREAM, 0);
  const option = (linkId: string) => rng.pick((PARTS.health.questionnaire.item ?? []).find((q) => q.linkId === linkId)!.answerOption!.slice(1)).valueCoding!.code!;
  const health = a.parts.find((x) => x.code === 'health');
  if (health) {
    await ja.answer(cc, health.id, {
      'health-summary': rng.pick(['Heart failure and arthritis: breathless on the stairs, slow in the mornings.', 'Diabetes and arthritis: tired, and two falls this year.']),
      mobility: option('mobility'), falls: option('falls'), medicines: option('medicines'),
      'health-needs': 'Strength and balance exercises\nA review of her medicines with the practice pharmacist',
    });
  }
}
