import type { DemoAccount } from '../access/identity/demo-accounts.js';
import { CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, RESOURCE_TYPES_SYSTEM } from '../access/policy/index.js';
import { formatNhsNumber, NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import type { Platform } from '../platform.js';
import { humanName } from './fhir-text.js';

/** What the demo carer may see of the demo resident's record: the day-to-day caring parts, not diagnoses. */
export const DEMO_CARER_TYPES = ['CarePlan', 'CareTeam', 'Goal', 'MedicationRequest', 'AllergyIntolerance', 'RelatedPerson', 'Flag', 'Consent', 'Encounter', 'EpisodeOfCare'];

/**
 * Makes the demo accounts tell a story in the web app: the demo resident gives their carer proxy
 * access (a Consent, as any resident would record it), and the console says whom to look up. Safe
 * to call on every start: the Consent has a fixed id and is written only when missing.
 */
export async function prepareDemoStory(platform: Platform, accounts: DemoAccount[]): Promise<string | undefined> {
  const resident = accounts.find((a) => a.kind === 'resident');
  const carer = accounts.find((a) => a.kind === 'proxy');
  if (!resident?.patientId) return undefined;
  if (carer?.relatedPersonId) {
    const id = `demo-carer-consent-${carer.relatedPersonId}`.slice(0, 64);
    const exists = await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Consent' AND id = $1", [id]);
    if (exists.rows.length === 0) {
      await platform.resources.update('Consent', id, {
        resourceType: 'Consent', id, status: 'active', patient: { reference: `Patient/${resident.patientId}` },
        scope: { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] }, category: [{ text: 'proxy access' }],
        policyRule: { text: 'Carer access agreed with the person (demo)' },
        provision: {
          type: 'permit', actor: [{ role: { text: 'carer' }, reference: { reference: `RelatedPerson/${carer.relatedPersonId}` } }],
          class: DEMO_CARER_TYPES.map((code) => ({ system: RESOURCE_TYPES_SYSTEM, code })),
        },
      });
    }
  }
  const row = await platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Patient' AND id = $1", [resident.patientId]);
  if (!row.rows[0]) return undefined;
  const p = JSON.parse(row.rows[0].content);
  const nhs = (p.identifier ?? []).find((i: { system?: string }) => i.system === NHS_NUMBER_SYSTEM)?.value;
  return `Open the web app, sign in as gp.demo and find ${humanName(p.name)}${nhs ? ` (NHS number ${formatNhsNumber(nhs)})` : ''}; ` +
    'sign in as resident.demo or carer.demo to see the portal.';
}
