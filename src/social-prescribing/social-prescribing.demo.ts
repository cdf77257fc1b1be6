import type { DemoAccount } from '../access/identity/demo-accounts.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { StaffPrincipal } from '../access/principal.js';
import { dayNumber, isoDay } from '../discharge/discharge.rules.js';
import { Params } from '../fhir/search.repository.js';
import type { Platform } from '../platform.js';
import { LAST_CHECKED_EXTENSION } from '../directory/service-freshness.js';
import { demoBefriendingService } from '../referrals/referral.demo.js';
import { readService } from '../referrals/referral.write-rule.js';
import { serviceRefusal } from '../referrals/service-acceptance.js';
import type { ReferralAction } from '../referrals/referral.service.js';
import { hashString, Prng } from '../synth/prng.js';

const DAY = 86_400_000;

/** The demo's referrals from the link worker to the befriending charity: [steps by the receiver (cancel: by the requester), their input, days ago sent]. Every state. */
const ONWARD: [ReferralAction[], Record<string, string>, number][] = [
  [[], {}, 7], // requested, past its clock: escalated
  [[], {}, 0],
  [['acknowledge'], {}, 1],
  [['acknowledge', 'hold'], { reason: 'Waiting to hear from the GP about mobility' }, 4],
  [['accept'], {}, 3],
  [['accept', 'start'], {}, 12], // the demo resident's: the portal shows it
  [['accept', 'start', 'complete'], { outcome: 'goals-met', note: 'Weekly visits from a volunteer for three months; now goes to the lunch club on Thursdays' }, 40],
  [['reject'], { reason: 'no-capacity', note: 'No volunteers free on Saturdays until the spring' }, 6], // declined: on the caseload's worklist
  [['cancel'], { reason: 'Found a group nearer home' }, 9],
  [['accept', 'start', 'fail'], { reason: 'unable-to-contact' }, 20], // the Task state machine ends work that started (accepted → failed is not a step it allows)
];
const ONWARD_REASONS = [
  'Lonely since her husband died; would like someone to talk to', 'Isolated after a fall; not going out', 'Recently moved here and knows nobody',
  'Carer for his wife; would like company for himself', 'Low mood; wants to get out more', 'Lives alone; family far away',
];

/** The GP's referrals to the PCN's social prescribing service, and how far the link worker has got with each. */
interface CaseloadStory {
  steps: ReferralAction[];
  daysAgo: number;
  reason: string;
  whatMatters?: string;
  /** [days ago, mode, note, follow-up in days from today (negative: overdue)]. */
  contacts: [number, 'FACE' | 'PHONE' | 'VIDEOCONF' | 'WRITTEN', string, number?][];
  ons4: ('start' | 'end')[];
}
const CASELOAD: CaseloadStory[] = [
  { steps: [], daysAgo: 2, reason: 'Lonely and low since being widowed; would welcome company', contacts: [], ons4: [] },
  { steps: ['accept'], daysAgo: 5, reason: 'Struggling with debts and worried about the winter bills', contacts: [], ons4: [] },
  { steps: ['accept'], daysAgo: 14, reason: 'Wants to lose weight and get fitter but lacks confidence', contacts: [[10, 'PHONE', 'First call: agreed to meet at the surgery next week', -3]], ons4: ['start'] },
  { steps: ['accept', 'start'], daysAgo: 30, reason: 'Caring for her husband with dementia; exhausted', whatMatters: 'Having a few hours to herself each week, and knowing he is safe', contacts: [[25, 'FACE', 'Talked through the carers’ support group and a sitting service', 7]], ons4: ['start'] },
  { steps: ['accept', 'start'], daysAgo: 45, reason: 'Housing worries after a rent rise', whatMatters: 'Staying in the flat near his daughter', contacts: [[40, 'FACE', 'Went through the letters together; booked the advice service'], [12, 'PHONE', 'Advice appointment went well; follow up after the tribunal', 0]], ons4: ['start'] },
  { steps: ['accept', 'start', 'complete'], daysAgo: 120, reason: 'Isolated after retiring; wants a purpose', whatMatters: 'Being useful again and meeting people', contacts: [[110, 'FACE', 'Agreed to try volunteering at the community garden'], [60, 'PHONE', 'Going every Tuesday; has made friends']], ons4: ['start', 'end'] },
  { steps: ['accept', 'start', 'complete'], daysAgo: 150, reason: 'Anxious about going out since the pandemic', whatMatters: 'Getting back to church on Sundays', contacts: [[140, 'VIDEOCONF', 'Talked about small steps; a walk to the shop first'], [90, 'FACE', 'Went to the coffee morning together']], ons4: ['start', 'end'] },
  { steps: ['accept', 'start'], daysAgo: 60, reason: 'Low mood and not sleeping after redundancy', whatMatters: 'Finding work and feeling like himself again', contacts: [[55, 'FACE', 'Referred to the employment support service'], [20, 'WRITTEN', 'Sent the details of the walking group', 10]], ons4: ['start'] },
];

/**
 * The social prescribing demo: the GP's referrals to the primary care network's social prescribing
 * service (the link worker's caseload: waiting, due a follow-up, with contacts, what matters, and
 * ONS4 at the start and, for those who have finished, the end), and the link worker's onward
 * referrals to the befriending charity vcse.demo works for, in every state (one past its clock, one
 * declined), the demo resident's among them so the portal shows it. Dates are set by running the
 * platform's clock back to each step's day. People are those both the GP and the link worker see,
 * chosen and scored by the `demo-social-prescribing` PRNG stream. Fixed idempotency keys: on a restart
 * nothing is made twice. Errors are not caught: a demo that cannot be seeded says why.
 */
export async function seedDemoSocialPrescribing(platform: Platform, accounts: DemoAccount[], principalOf: (a: DemoAccount) => StaffPrincipal): Promise<void> {
  const link = accounts.find((a) => a.role === 'link-worker');
  const gp = accounts.find((a) => a.role === 'gp');
  const vcse = accounts.find((a) => a.role === 'vcse-worker');
  const resident = accounts.find((a) => a.kind === 'resident');
  if (!link?.organizationId || !gp?.organizationId) return;
  const { referrals } = platform.referrals;
  const sp = platform.socialPrescribing.caseload;
  const linkP = principalOf(link);
  const gpP = principalOf(gp);
  const now = platform.clock.now();
  const realNow = platform.clock.now;
  const at = async <T>(daysAgo: number, f: () => Promise<T>): Promise<T> => {
    platform.clock.now = () => new Date(now.getTime() - daysAgo * DAY);
    try {
      return await f();
    } finally {
      platform.clock.now = realNow;
    }
  };
  const rng = new Prng(1, hashString('demo-social-prescribing'), 0);
  const people = await bothSee(platform, [gpP, linkP], now, 40);
  // Shuffle by the stream, then keep the resident out of the caseload (they are on the onward list).
  for (let i = people.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [people[i], people[j]] = [people[j], people[i]];
  }
  const others = people.filter((id) => id !== resident?.patientId);
  const spService = await serviceOf(platform, link.organizationId, 'social-prescribing');
  if (!spService) throw new Error(`The link worker's organisation ${link.organizationId} runs no social prescribing service to refer to`);
  // The demo's own services have just been confirmed by their organisations: a synthetic entry last
  // checked over a year ago takes no referrals (the freshness rule), which would leave the demo empty.
  await confirmChecked(platform, spService, now);

  const caseloadPeople = others.slice(0, CASELOAD.length);
  for (let i = 0; i < caseloadPeople.length; i++) {
    const story = CASELOAD[i];
    const sent = await at(story.daysAgo, () => referrals.send(gpP, {
      patientId: caseloadPeople[i], serviceId: spService, reason: story.reason, priority: 'routine', consentGiven: true, share: [],
      idempotencyKey: `demo-sp-referral-${String(i + 1).padStart(2, '0')}`,
    }));
    if (!sent.created) continue;
    let r = sent.referral;
    for (const [k, step] of story.steps.entries()) {
      const input = step === 'complete' ? { outcome: 'goals-met', note: 'Connected with local groups; no longer needs the link worker' } : {};
      // Accepted and started soon after it came; completed five days ago, after everything below.
      const next = await at(step === 'complete' ? 5 : Math.max(0, story.daysAgo - 1 - k * 2), () => referrals.act(linkP, r.id, step, r.taskVersion!, input));
      if (!next) throw new Error(`The demo link worker lost sight of referral ${r.id} after ${step}`);
      r = next;
    }
    if (story.whatMatters) await at(story.daysAgo - 1, () => sp.recordWhatMatters(linkP, r.id, { text: story.whatMatters }));
    for (const [daysAgo, mode, note, followUp] of story.contacts) {
      const follow = followUp === undefined ? undefined : isoDay(dayNumber(now) + followUp);
      await at(followUp !== undefined && followUp < 0 ? Math.max(daysAgo, -followUp) : daysAgo, () => sp.recordContact(linkP, r.id, { mode, note, followUp: follow }));
    }
    for (const tp of story.ons4) {
      const start = [rng.range(2, 5), rng.range(2, 5), rng.range(2, 5), rng.range(5, 8)].map(Math.round);
      const scores = tp === 'start' ? start : [start[0] + 3, start[1] + 2, start[2] + 3, start[3] - 3].map((x) => Math.min(10, Math.max(0, x + rng.int(2))));
      const [ls, w, h, a] = scores.map(String);
      await at(tp === 'start' ? story.daysAgo - 1 : 6, () => sp.recordWellbeing(linkP, r.id, tp, { 'life-satisfaction': ls, worthwhile: w, happiness: h, anxiety: a }));
    }
  }

  // Onward referrals to the befriending charity, every state; the resident's is the one in progress.
  if (!vcse?.organizationId) return;
  const befriending = await serviceOf(platform, vcse.organizationId, 'befriending') ?? (await demoBefriendingService(platform.db, undefined))?.serviceId;
  if (!befriending) throw new Error(`The VCSE demo organisation ${vcse.organizationId} runs no befriending service`);
  await confirmChecked(platform, befriending, now);
  const vcseP = principalOf(vcse);
  const onwardPeople = [...caseloadPeople, ...others.slice(CASELOAD.length)].slice(0, ONWARD.length);
  if (resident?.patientId && (await bothSee(platform, [gpP, linkP], now, 1, resident.patientId)).length > 0) onwardPeople.splice(5, 1, resident.patientId);
  for (let i = 0; i < ONWARD.length && i < onwardPeople.length; i++) {
    const [steps, input, daysAgo] = ONWARD[i];
    const sent = await at(daysAgo, () => referrals.send(linkP, {
      patientId: onwardPeople[i], serviceId: befriending, reason: ONWARD_REASONS[i % ONWARD_REASONS.length], priority: 'routine', consentGiven: true,
      share: ['what-matters'], whatMatters: 'Getting out of the house and meeting people', idempotencyKey: `demo-onward-referral-${String(i + 1).padStart(2, '0')}`,
    }));
    if (!sent.created) continue;
    let r = sent.referral;
    for (const [k, step] of steps.entries()) {
      const actor = step === 'cancel' ? linkP : vcseP;
      const next = await at(Math.max(0, daysAgo - 1 - k), () => referrals.act(actor, r.id, step, r.taskVersion!, input));
      // A referral that ends may leave the charity's sight; the requester still sees it.
      r = next ?? await referrals.get(linkP, r.id);
    }
  }
  await referrals.escalateBreaches();
}

/** Marks a service's entry as checked today (the platform's own write), when it is not taking referrals for want of a check. */
async function confirmChecked(platform: Platform, serviceId: string, now: Date): Promise<void> {
  const hs = await readService(platform.db, serviceId);
  if (!hs || !serviceRefusal(hs, now)) return;
  const extension = [...(hs.extension ?? []).filter((e) => e.url !== LAST_CHECKED_EXTENSION), { url: LAST_CHECKED_EXTENSION, valueDate: now.toISOString().slice(0, 10) }];
  await platform.resources.update('HealthcareService', serviceId, { ...hs, extension });
}

/** A service of `kind` the organisation provides (the directory is public). */
async function serviceOf(platform: Platform, orgId: string, kind: string): Promise<string | undefined> {
  const res = await platform.db.query<{ id: string }>(
    `SELECT h.id FROM resource h WHERE h.resource_type = 'HealthcareService' AND NOT h.deleted AND h.content::jsonb -> 'providedBy' ->> 'reference' = $1
       AND h.content::jsonb -> 'type' -> 0 -> 'coding' -> 0 ->> 'code' = $2 ORDER BY h.id LIMIT 1`,
    [`Organization/${orgId}`, kind],
  );
  return res.rows[0]?.id;
}

/** Up to `limit` people every principal sees (each one's row restriction), none objecting to sharing, in id order. */
async function bothSee(platform: Platform, principals: StaffPrincipal[], now: Date, limit: number, only?: string): Promise<string[]> {
  const p = new Params();
  const conds = principals.map((x) => restrictionFor(x, now)('r', 'Patient', p) ?? 'true');
  const res = await platform.db.query<{ id: string }>(
    `SELECT r.id FROM resource r WHERE r.resource_type = 'Patient' AND NOT r.deleted AND ${conds.join(' AND ')}
       AND NOT EXISTS (SELECT 1 FROM sharing_objection so WHERE so.patient_id = r.id)${only ? ` AND r.id = ${p.add(only)}` : ''} ORDER BY r.id LIMIT ${p.add(limit)}`,
    p.values,
  );
  return res.rows.map((r) => r.id);
}
