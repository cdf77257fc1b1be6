import { formatDemoAccounts, seedDemoAccounts, type DemoAccount } from '../access/identity/demo-accounts.js';
import { restrictionFor } from '../access/policy/index.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { StaffPrincipal, StaffRole } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { seedDemoDischarge } from '../discharge/discharge.demo.js';
import { seedDemoPathways } from '../pathways/pathway.demo.js';
import { seedDemoFeedback } from '../outcomes/feedback.demo.js';
import { seedDemoSubmittedFigures } from '../outcomes/submitted-figure.demo.js';
import { seedDemoBcfHistory } from '../outcomes/bcf.demo.js';
import { Params } from '../fhir/search.repository.js';
import { seedDemoCaseFinding } from '../proactive-care/case-finding.demo.js';
import { seedDemoCarePlanning } from '../care-planning/care-planning.demo.js';
import { seedDemoJointAssessment } from '../care-planning/joint-assessment.demo.js';
import { prepareDemoStory } from '../record-view/demo-story.js';
import type { Logger } from '../logger.js';
import { importItems } from '../fhir/import.service.js';
import type { Platform } from '../platform.js';
import { DEFINITION_TYPES } from './definitions.js';
import { seedDemoSocialPrescribing } from '../social-prescribing/social-prescribing.demo.js';
import { TASK_KIND_SYSTEM, TASK_KINDS, type TaskKind } from '../workflow/task.vocabulary.js';

export interface DemoOptions {
  /** The platform's clock: "today" for the population's as-of day and the demo work's due dates. */
  clock: Clock;
  /** Generate the population as of this day (YYYY-MM-DD) instead of today. */
  asOf?: string;
}

/**
 * On an empty embedded database, loads a small synthetic population so a first start shows a living
 * system: the residents of one primary care network (so every practice and team has people in its
 * care), dated around today, with open work for every staff demo account.
 */
export async function loadDemoPopulation(platform: Platform, residents: number, logger: Logger, options: DemoOptions): Promise<void> {
  // Empty but for the definitions the start itself has just published.
  const any = await platform.db.query('SELECT 1 FROM resource WHERE resource_type <> ALL($1::text[]) LIMIT 1', [[...DEFINITION_TYPES]]);
  if (any.rows.length > 0) return showDemoAccounts(platform, options.clock);
  let synth: typeof import('../synth/index.js');
  try {
    synth = await import('../synth/index.js');
  } catch (err) {
    logger.warn({ err }, 'the synthetic population generator is not available; starting empty');
    return;
  }
  const asOf = options.asOf ?? synth.asOfToday(options.clock);
  console.log(`Loading a synthetic population of ${residents} residents as of ${asOf} (first start only)…`);
  const items = (function* () {
    let n = 0;
    for (const resource of synth.synthesize({ residents, seed: 1, asOf, neighbourhood: 'largest' })) yield { resource, source: `synth #${++n}` };
  })();
  const summary = await importItems(platform, items);
  console.log(`Loaded ${summary.imported.toLocaleString('en-GB')} synthetic resources in ${summary.seconds.toFixed(1)} s.`);
  if (summary.rejected.length > 0) logger.error({ rejected: summary.rejected.slice(0, 5) }, 'some synthetic resources were rejected');
  // A complete financial year for the Better Care Fund view: the admissions of the months the record's first year lacks, a year earlier (src/outcomes/bcf.demo.ts).
  const repeated = await seedDemoBcfHistory(platform);
  if (repeated) console.log(`Repeated ${repeated.toLocaleString('en-GB')} emergency admissions a year earlier, so the Better Care Fund view has a complete year.`);
  // The frailty index and the cohort facts, so case finding and the record show them from the first sign-in.
  const efi = await platform.proactiveCare.frailty.computeAll({ now: options.clock.now() });
  console.log(`Computed the electronic Frailty Index for ${efi.older.toLocaleString('en-GB')} people aged 65 and over in ${efi.seconds.toFixed(1)} s.`);
  await showDemoAccounts(platform, options.clock);
}

/** Demo accounts on the synthetic population (kept across starts), their work, and how to sign in with them. */
async function showDemoAccounts(platform: Platform, clock: Clock): Promise<void> {
  const accounts = await seedDemoAccounts(platform);
  if (accounts.length > 0) console.log(formatDemoAccounts(accounts));
  await seedDemoWork(platform, accounts, clock.now());
  // Case finding: the GP's and the care coordinator's lists have people on them.
  await seedDemoCaseFinding(platform, accounts, clock.now());
  // People in hospital, their discharge work and reablement reaching day 91 (src/discharge/discharge.demo.ts).
  await seedDemoDischarge(platform, accounts, clock.now());
  // Mental health pathways with their clocks (src/pathways/pathway.demo.ts).
  await seedDemoPathways(platform, accounts, clock.now());
  // Answers to the 'I' statements for the last two quarters (src/outcomes/feedback.demo.ts).
  await seedDemoFeedback(platform, clock.now());
  // Figures partners submit (pupil absence, early years, sickness absence), one corrected (src/outcomes/submitted-figure.demo.ts).
  await seedDemoSubmittedFigures(platform, accounts, demoPrincipal, clock.now());
  // The web app's demo: the resident's carer gets proxy access, and the console says whom to look up.
  const hint = await prepareDemoStory(platform, accounts).catch((err: Error) => `(demo story not prepared: ${err.message})`);
  if (hint) console.log(hint);
  // After the story: the carer's consent is in place when the carer first opens the plan.
  await seedDemoCarePlanning(platform, accounts, clock.now()).catch((err: Error) => console.log(`(demo care plans not prepared: ${err.message})`));
  await seedDemoJointAssessment(platform, accounts).catch((err: Error) => console.log(`(demo joint assessment not prepared: ${err.message})`));
  // Social prescribing: the link worker's caseload, and referrals in every state to the VCSE account's charity (src/social-prescribing/social-prescribing.demo.ts).
  await seedDemoSocialPrescribing(platform, accounts, demoPrincipal);
}

/** The staff roles that hold a worklist. */
export const WORKING_ROLES: StaffRole[] = [
  'gp', 'practice-nurse', 'community-nurse', 'social-worker', 'mental-health-practitioner', 'discharge-coordinator',
  'care-coordinator', 'link-worker', 'receptionist',
];

/** What each role is asked to do: [kind, words] for the account's own work, then for its team's pool. */
const WORK: Record<string, [TaskKind, string][]> = {
  gp: [['medication-review', 'Review medicines changed in hospital (discharge summary received)'], ['review', 'Review blood test results: kidney function'], ['follow-up', 'Call back about the new swelling in the ankles'],
    ['review', 'Sign the repeat prescription request'], ['assessment', 'Home visit request: unwell, cannot get to the surgery'], ['care-plan-review', 'Update the anticipatory care plan']],
  'practice-nurse': [['review', 'Review blood pressure after medication change'], ['review', 'Diabetes review: feet and blood test'], ['follow-up', 'Recall for the spirometry test'],
    ['review', 'Annual asthma review'], ['follow-up', 'Wound check after the minor operation'], ['review', 'B12 injection due']],
  'community-nurse': [['visit', 'Home visit: dress the leg ulcer and check healing'], ['visit', 'Home visit: blood test (housebound)'], ['visit', 'Home visit: check pressure areas and skin'],
    ['visit', 'Home visit: catheter change'], ['assessment', 'New referral: assess at home for leg ulcer care'], ['visit', 'Home visit: insulin (twice a day)']],
  'social-worker': [['review', 'Annual review of care and support (Care Act 2014)'], ['assessment', 'Carer\'s assessment: arrange a visit'], ['follow-up', 'Check the new home care package has started'],
    ['assessment', 'Care Act assessment of needs: referred by the practice'], ['review', 'Review the direct payment'], ['escalation', 'Safeguarding concern raised by a neighbour: decide next steps']],
  'mental-health-practitioner': [['follow-up', 'Fortnightly contact: check how they are after the change of medicine'], ['review', 'Review the crisis plan together'], ['follow-up', 'Physical health check results: follow up with the practice'],
    ['assessment', 'New referral from the GP: first assessment'], ['follow-up', 'Missed appointment: call to rearrange'], ['review', 'Care programme approach review due']],
  'discharge-coordinator': [['discharge', 'Plan discharge: agree the pathway and the support needed at home'], ['follow-up', 'Follow-up call two days after discharge: is the support at home in place?'], ['discharge', 'Arrange transport home and confirm a key safe code'],
    ['discharge', 'Medically fit for discharge: find a reablement package'], ['follow-up', 'Send the discharge summary to the practice and the community nurses'], ['assessment', 'Therapy assessment before going home']],
  'care-coordinator': [['care-plan-review', 'Proactive care: agree a personalised care plan'], ['assessment', 'Proactive care: holistic needs review at home'], ['follow-up', 'Check in by phone: how are things since the last review?'],
    ['care-plan-review', 'Care plan review with the person and their carer'], ['follow-up', 'Arrange the multidisciplinary team discussion'], ['carer-support', 'Carer needs a break: talk about respite options']],
  'link-worker': [['follow-up', 'First conversation about what matters and what is on locally'], ['follow-up', 'Go with them to the lunch club for the first time'], ['follow-up', 'Follow up: did the befriending service get in touch?'],
    ['referral', 'New referral from the practice: loneliness after bereavement'], ['carer-support', 'Introduce the carers\' support group'], ['follow-up', 'Help with the benefits form: book the advice service']],
  receptionist: [['follow-up', 'Book the annual review appointment'], ['follow-up', 'Send the appointment letter in large print'], ['follow-up', 'Update the phone number and address'],
    ['follow-up', 'Book a British Sign Language interpreter for the appointment'], ['follow-up', 'Call to offer a flu vaccination appointment'], ['follow-up', 'Scan the hospital letter into the record']],
};

/**
 * Days from today of each task's due date: overdue, this week and later, for owned and for pool work alike.
 * Each was asked for ten days before it is due, or a few days ago when that would be in the future.
 */
const DUE_IN_DAYS = [-6, 2, 16, -3, 4, 23];

/**
 * Open work for every staff demo account with a worklist: tasks owned by the account's Practitioner
 * and tasks in its organisation's pool (unassigned), some overdue and some due this week, each about
 * a person the account already sees under the access policy (found through its own row restriction,
 * so the worklist never hides them). Fixed ids, written only when missing: safe on every start.
 */
export async function seedDemoWork(platform: Platform, accounts: DemoAccount[], now: Date): Promise<void> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const day = (offset: number) => new Date(today + offset * 86_400_000).toISOString().slice(0, 10);
  for (const a of accounts) {
    if (a.kind !== 'staff' || !a.role || !WORKING_ROLES.includes(a.role) || !a.organizationId || !a.practitionerId) continue;
    const exists = await platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Task' AND id = $1", [`demo-${a.role}-1`]);
    if (exists.rows.length > 0) continue;
    const people = await visiblePeople(platform, demoPrincipal(a), now, DUE_IN_DAYS.length);
    const work = WORK[a.role];
    for (let i = 0; i < people.length; i++) {
      const owned = i < 3;
      const [kind, description] = work[i];
      await platform.resources.update('Task', `demo-${a.role}-${i + 1}`, {
        resourceType: 'Task', id: `demo-${a.role}-${i + 1}`, meta: { tag: [recordedByTag(a.organizationId)] },
        status: owned ? (i === 0 ? 'in-progress' : 'accepted') : 'requested', intent: 'order',
        code: { coding: [{ system: TASK_KIND_SYSTEM, code: kind, display: TASK_KINDS[kind] }], text: TASK_KINDS[kind] },
        description, for: { reference: `Patient/${people[i]}` }, authoredOn: day(Math.min(DUE_IN_DAYS[i] - 10, -(i + 1))),
        requester: { reference: `Organization/${a.organizationId}` },
        owner: { reference: owned ? `Practitioner/${a.practitionerId}` : `Organization/${a.organizationId}` },
        restriction: { period: { end: day(DUE_IN_DAYS[i]) } },
      });
    }
  }
}

/** The principal a demo account signs in as (acting for its one organisation). */
export function demoPrincipal(a: DemoAccount): StaffPrincipal {
  return {
    kind: 'staff', id: a.username, displayName: a.displayName, role: a.role!, organizationId: a.organizationId!, organizationIds: [a.organizationId!],
    ...(a.practitionerId ? { practitionerId: a.practitionerId } : {}), via: 'session', credentialId: 'demo-seed',
  };
}

/** Ids of up to `limit` people the principal sees through its row restriction, spread over the list. */
async function visiblePeople(platform: Platform, principal: StaffPrincipal, now: Date, limit: number): Promise<string[]> {
  const p = new Params();
  const cond = restrictionFor(principal, now)('r', 'Patient', p) ?? 'true';
  const res = await platform.db.query<{ id: string }>(
    `SELECT r.id FROM resource r WHERE r.resource_type = 'Patient' AND NOT r.deleted AND ${cond} ORDER BY md5(r.id) LIMIT ${p.add(limit)}`,
    p.values,
  );
  return res.rows.map((r) => r.id);
}
