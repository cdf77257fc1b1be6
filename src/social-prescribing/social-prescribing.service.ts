import type { Communication, HealthcareService, Patient, QuestionnaireResponse } from '@medplum/fhirtypes';
import { can } from '../access/policy/policy.js';
import { accessContext } from '../access/policy/record-access.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { Principal } from '../access/principal.js';
import type { PlanService } from '../care-planning/plan.service.js';
import type { Clock } from '../clock.js';
import type { DirectoryService } from '../directory/directory.service.js';
import { dayNumber, isoDay } from '../discharge/discharge.rules.js';
import { locatePostcode } from '../directory/postcode-geography.js';
import { badRequest, conflict, FhirError, forbidden, notFound } from '../fhir/outcome.js';
import { localReference } from '../fhir/reference.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { postcodeOf } from '../record-view/fhir-text.js';
import type { Referral, ReferralService } from '../referrals/referral.service.js';
import { serviceRefusal } from '../referrals/service-acceptance.js';
import { cleanText } from '../workflow/task.service.js';
import { SocialPrescribingRepository } from './social-prescribing.repository.js';
import {
  CONTACT_CATEGORY_SYSTEM, CONTACT_KINDS, CONTACT_MODE_SYSTEM, CONTACT_MODES, FOLLOW_UP_EXTENSION, ONS4_ID, ONS4_ITEMS, ONS4_LOWER_IS_BETTER,
  ONS4_QUESTIONNAIRE, ONS4_SHORT, ONS4_URL, TIMEPOINT_EXTENSION, TIMEPOINTS, type ContactKind, type ContactMode, type Ons4Item, type Timepoint,
} from './social-prescribing.vocabulary.js';

/** A contact with the person, or the "what matters to me" conversation. */
export interface Contact {
  id: string;
  kind: ContactKind;
  mode?: string;
  note: string;
  when?: string;
  by?: string;
  followUp?: string;
}

/** One ONS4 response: when, and the four scores. */
export interface Ons4Response {
  id: string;
  authored?: string;
  scores: Record<Ons4Item, number>;
}

/** A person on the caseload, by the referral that brought them. */
export interface CaseloadEntry {
  referral: Referral;
  contacts: Contact[];
  /** The latest "what matters to me" conversation. */
  whatMatters?: string;
  lastContact?: string;
  /** The next follow-up due by (the latest contact's), YYYY-MM-DD. */
  followUpDue?: string;
  wellbeing: Partial<Record<Timepoint, Ons4Response>>;
}

/** The change in ONS4 from start to end, over the people with both. */
export interface WellbeingChange {
  withBoth: number;
  startOnly: number;
  /** Mean end minus start per question (anxiety: a fall is better), when anyone has both. */
  meanChange?: Record<Ons4Item, number>;
}

export interface Caseload {
  people: CaseloadEntry[];
  /** Referred, and no contact recorded yet (oldest first). */
  waiting: CaseloadEntry[];
  /** A follow-up due today or earlier. */
  dueFollowUp: CaseloadEntry[];
  /** Onward referrals the link worker's organisation made that the service declined (not yet re-routed). */
  declined: Referral[];
  wellbeing: WellbeingChange;
}

/** How far the caseload's list of onward services reaches from the person's home (the directory search goes further). */
export const ONWARD_WITHIN_M = 20_000;

/** The services offered for an onward referral, nearest the person's home first when it is known. */
export interface OnwardChoices {
  services: { id: string; name: string; kind?: string; distance?: number }[];
  /** The postcode district of the person's home the list is measured from; undefined when not known to the reader. */
  from?: string;
}

/** The people a link worker is working with, in full: the caseload entry, their plan, onward referrals. */
export interface CaseloadPerson extends CaseloadEntry {
  onward: Referral[];
  plan?: { id: string; status: string; whatMatters?: string };
  /** The link worker may not see the person's plans (said on the page, never silently left out). */
  planHidden: boolean;
  canRecord: boolean;
}

const CLOSED = ['rejected', 'cancelled', 'entered-in-error'];
const OPEN = ['requested', 'received', 'accepted', 'in-progress', 'on-hold'];

/**
 * Social prescribing (issue 11 part 4): a link worker's caseload is the people referred to their
 * organisation (or its services, or them) through the referrals of src/referrals, read under the
 * caller's row restriction. What the link worker records names the referral (`basedOn`): the "what
 * matters to me" conversation and contacts as Communications, ONS4 at the start and end as
 * QuestionnaireResponses (the write rule checks every score is 0 to 10 on every path); what matters
 * also goes into the person's plan through care planning's PlanService. Onward referrals are the
 * referral service's own (`sent`), and a declined one is re-routed there (`redirect`).
 */
export class SocialPrescribingService {
  private readonly repo: SocialPrescribingRepository;

  constructor(
    private readonly resources: ResourceService,
    private readonly referrals: ReferralService,
    private readonly plans: PlanService,
    private readonly directory: DirectoryService,
    private readonly clock: Clock,
  ) {
    this.repo = new SocialPrescribingRepository(resources.db);
  }

  /** The caseload, its worklists (waiting, due a follow-up, declined onward referrals) and the wellbeing change. */
  async caseload(p: Principal): Promise<Caseload> {
    const now = this.clock.now();
    // Follow-ups are due by Kent's calendar day (the discharge rules' day), not UTC's: after 23:00 BST it is already tomorrow.
    const today = isoDay(dayNumber(now));
    const received = (await this.referrals.received(p)).filter((r) => !CLOSED.includes(r.status));
    const people = await this.entries(p, received);
    const open = people.filter((e) => OPEN.includes(e.referral.status));
    const waiting = open.filter((e) => e.contacts.length === 0).sort((a, b) => (a.referral.authoredOn ?? '').localeCompare(b.referral.authoredOn ?? ''));
    const dueFollowUp = open.filter((e) => e.followUpDue && e.followUpDue <= today).sort((a, b) => a.followUpDue!.localeCompare(b.followUpDue!));
    const mine = new Set(received.map((r) => r.id));
    const declined = (await this.referrals.sent(p)).filter((r) => r.status === 'rejected' && !mine.has(r.id));
    return { people, waiting, dueFollowUp, declined, wellbeing: wellbeingChange(people) };
  }

  /** One person on the caseload, by the referral to the link worker: 404 alike when hidden, missing or not addressed to them. */
  async person(p: Principal, referralId: string): Promise<CaseloadPerson> {
    const r = await this.referrals.get(p, referralId);
    const receiver = await this.referrals.isAddressedTo(p, r);
    if (!receiver || !r.patientId) throw notFound('There is no one on your caseload at this address');
    const [entry] = await this.entries(p, [r]);
    const onward = (await this.referrals.sent(p, r.patientId)).filter((x) => x.id !== r.id);
    let plan: CaseloadPerson['plan'];
    let planHidden = false;
    try {
      const { current } = await this.plans.forPerson(p, r.patientId);
      if (current) plan = { id: current.view.id, status: current.view.status, whatMatters: current.view.whatMatters };
    } catch (err) {
      if (!(err instanceof FhirError) || err.status !== 404) throw err;
      planHidden = true;
    }
    return { ...entry, onward, plan, planHidden, canRecord: can(p, 'social-prescribing.record', { receiver }).allowed };
  }

  /**
   * Services the link worker may refer on to, for the page's list (the directory search finds any
   * other): the nearest to the person's home first, within ONWARD_WITHIN_M, with how far each is,
   * when the reader may see their home postcode and it is in Kent and Medway; otherwise by kind and
   * name, and `from` is undefined so the page says why.
   */
  async onwardChoices(p: Principal, patientId?: string, limit = 60): Promise<OnwardChoices> {
    if (p.kind !== 'staff') return { services: [] };
    const now = this.clock.now();
    const home = patientId ? await this.homeOf(p, patientId, now) : undefined;
    const own = `Organization/${p.organizationId}`;
    const usable = (h: HealthcareService) => h.providedBy?.reference !== own && !serviceRefusal(h, now);
    const choice = (h: HealthcareService, distance?: number) => ({ id: h.id!, name: h.name ?? 'A service', kind: h.type?.[0]?.text, ...(distance !== undefined ? { distance } : {}) });
    if (home) {
      const { entries } = await this.directory.search({ near: { point: home.point, within: ONWARD_WITHIN_M }, limit: limit * 2, offset: 0 });
      return { from: home.outward, services: entries.filter((e) => usable(e.service)).slice(0, limit).map((e) => choice(e.service, e.distance)) };
    }
    return { services: (await this.repo.onwardServices(p.organizationId, limit * 2)).map((c) => JSON.parse(c) as HealthcareService).filter(usable).slice(0, limit).map((h) => choice(h)) };
  }

  /** The person's home postcode district and its point, as the reader may see it (undefined when hidden, missing or outside the area). */
  private async homeOf(p: Principal, patientId: string, now: Date): Promise<{ outward: string; point: { lat: number; lon: number } } | undefined> {
    let patient: Patient;
    try {
      patient = JSON.parse((await this.resources.read('Patient', patientId, undefined, { baseUrl: '', ...accessContext(p, now) })).content ?? '{}') as Patient;
    } catch (err) {
      if (err instanceof FhirError && (err.status === 404 || err.status === 403 || err.status === 410)) return undefined;
      throw err;
    }
    const located = locatePostcode(postcodeOf(patient.address));
    return located?.point ? { outward: located.outward, point: located.point } : undefined;
  }

  /** A contact (how, what was said, the next follow-up due by). */
  async recordContact(p: Principal, referralId: string, c: { mode?: string; note?: string; followUp?: string }): Promise<string> {
    const mode = c.mode as ContactMode;
    if (!mode || !(mode in CONTACT_MODES)) throw badRequest('Choose how you were in contact', 'mode');
    const note = cleanText(c.note, 'note', 'What happened');
    const followUp = this.followUpDate(c.followUp);
    return this.communicate(p, referralId, 'contact', note, mode, followUp);
  }

  /**
   * The "what matters to me" conversation: recorded as a contact, and written into the person's
   * personalised care and support plan (care planning's PlanService, with its rules: a draft is
   * started when they have none). The plan first: if it refuses, nothing is recorded.
   */
  async recordWhatMatters(p: Principal, referralId: string, c: { text?: string; followUp?: string }): Promise<string> {
    const text = cleanText(c.text, 'whatMatters', 'What matters to the person');
    const followUp = this.followUpDate(c.followUp);
    const r = await this.mayRecord(p, referralId);
    const { current } = await this.plans.forPerson(p, r.patientId!);
    const plan = current ?? await this.plans.start(p, r.patientId!, 'My social prescribing plan');
    const v = plan.view;
    await this.plans.saveSections(p, v.id, plan.versionId, { title: v.title, aboutMe: v.aboutMe, whatMatters: text, needs: v.needs.join('\n'), contingency: v.contingency });
    return this.communicate(p, referralId, 'what-matters', text, 'FACE', followUp, r);
  }

  /**
   * ONS4 at the start or the end: all four scores, each a whole number 0 to 10; one of each per
   * referral (a second is a 409: made by conditional create on `<referral>|<time point>`, so two at
   * once still make one).
   */
  async recordWellbeing(p: Principal, referralId: string, timepoint: string | undefined, answers: Record<string, string | undefined>): Promise<string> {
    if (timepoint !== 'start' && timepoint !== 'end') throw badRequest('Choose whether these are the scores at the start or the end', 'timepoint');
    const scores = {} as Record<Ons4Item, number>;
    for (const item of Object.keys(ONS4_ITEMS) as Ons4Item[]) {
      const raw = (answers[item] ?? '').trim();
      if (!/^\d{1,2}$/.test(raw) || Number(raw) > 10) throw badRequest(`${ONS4_SHORT[item]}: enter a whole number from 0 to 10`, item);
      scores[item] = Number(raw);
    }
    const r = await this.mayRecord(p, referralId);
    await this.ensureQuestionnaire();
    const now = this.clock.now();
    const key = `${r.id}|${timepoint}`;
    const qr: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: ONS4_URL,
      identifier: { system: `${ONS4_URL}/response`, value: key },
      extension: [{ url: TIMEPOINT_EXTENSION, valueCode: timepoint }],
      subject: { reference: `Patient/${r.patientId}`, display: r.personName },
      basedOn: [{ reference: `ServiceRequest/${r.id}` }],
      authored: now.toISOString(), ...this.author(p, 'QuestionnaireResponse'),
      item: (Object.keys(ONS4_ITEMS) as Ons4Item[]).map((linkId) => ({ linkId, text: ONS4_ITEMS[linkId], answer: [{ valueInteger: scores[linkId] }] })),
    };
    const made = await this.resources.create('QuestionnaireResponse', qr, {
      ifNoneExist: `identifier=${encodeURIComponent(`${ONS4_URL}/response|${key}`)}`, ctx: { baseUrl: '', ...accessContext(p, now) },
    });
    if (!made.created) {
      const e = conflict(`Wellbeing scores ${TIMEPOINTS[timepoint].toLowerCase()} are already recorded for this referral`);
      e.outcome.issue![0].expression = ['timepoint'];
      throw e;
    }
    return made.id;
  }

  private followUpDate(v: string | undefined): string | undefined {
    if (!v) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw badRequest('Enter the follow-up date as a real date', 'followUp');
    if (v < isoDay(dayNumber(this.clock.now()))) throw badRequest('The follow-up date must be today or later', 'followUp');
    return v;
  }

  /** The referral, when the principal may record for it (404 alike when hidden or not theirs; 403 when their role may not). */
  private async mayRecord(p: Principal, referralId: string): Promise<Referral> {
    const r = await this.referrals.get(p, referralId);
    const receiver = await this.referrals.isAddressedTo(p, r);
    if (!receiver || !r.patientId) throw notFound('There is no one on your caseload at this address');
    const d = can(p, 'social-prescribing.record', { receiver });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    if (CLOSED.includes(r.status)) throw badRequest(`This referral is ${r.statusText.toLowerCase()}: nothing more can be recorded on it`, 'referral');
    return r;
  }

  private author(p: Principal, type: 'Communication' | 'QuestionnaireResponse') {
    const ref = p.kind === 'staff' && p.practitionerId ? { reference: `Practitioner/${p.practitionerId}`, display: p.displayName } : undefined;
    if (!ref) return {};
    return type === 'Communication' ? { sender: ref } : { author: ref };
  }

  private async communicate(p: Principal, referralId: string, kind: ContactKind, text: string, mode: ContactMode, followUp: string | undefined, known?: Referral): Promise<string> {
    const r = known ?? await this.mayRecord(p, referralId);
    const now = this.clock.now();
    const c: Communication = {
      resourceType: 'Communication', status: 'completed',
      category: [{ coding: [{ system: CONTACT_CATEGORY_SYSTEM, code: kind, display: CONTACT_KINDS[kind] }], text: CONTACT_KINDS[kind] }],
      medium: [{ coding: [{ system: CONTACT_MODE_SYSTEM, code: mode, display: CONTACT_MODES[mode] }], text: CONTACT_MODES[mode] }],
      subject: { reference: `Patient/${r.patientId}`, display: r.personName },
      basedOn: [{ reference: `ServiceRequest/${r.id}` }],
      sent: now.toISOString(), ...this.author(p, 'Communication'),
      payload: [{ contentString: text }],
      ...(followUp ? { extension: [{ url: FOLLOW_UP_EXTENSION, valueDate: followUp }] } : {}),
    };
    const made = await this.resources.create('Communication', c, { ctx: { baseUrl: '', ...accessContext(p, now) } });
    return made.id;
  }

  /** The ONS4 Questionnaire, written once by the platform (the record's own reference data). */
  private async ensureQuestionnaire(): Promise<void> {
    const there = await this.resources.db.query("SELECT 1 FROM resource WHERE resource_type = 'Questionnaire' AND id = $1 AND NOT deleted", [ONS4_ID]);
    if (there.rows.length === 0) await this.resources.update('Questionnaire', ONS4_ID, ONS4_QUESTIONNAIRE);
  }

  private async entries(p: Principal, referrals: Referral[]): Promise<CaseloadEntry[]> {
    const restriction = restrictionFor(p, this.clock.now());
    const ids = referrals.map((r) => r.id);
    const comms = (await this.repo.basedOn('Communication', ids, restriction)).map((c) => JSON.parse(c) as Communication);
    const qrs = (await this.repo.basedOn('QuestionnaireResponse', ids, restriction)).map((c) => JSON.parse(c) as QuestionnaireResponse).filter((q) => q.questionnaire === ONS4_URL);
    const about = (x: { basedOn?: { reference?: string }[] }) => x.basedOn?.map((b) => localReference(b.reference)).find((k) => k?.type === 'ServiceRequest')?.id;
    return referrals.map((referral) => {
      const contacts: Contact[] = comms.filter((c) => about(c) === referral.id).map((c) => ({
        id: c.id!, kind: (c.category?.[0]?.coding?.find((x) => x.system === CONTACT_CATEGORY_SYSTEM)?.code ?? 'contact') as ContactKind,
        mode: c.medium?.[0]?.text, note: c.payload?.[0]?.contentString ?? '', when: c.sent, by: c.sender?.display,
        followUp: c.extension?.find((e) => e.url === FOLLOW_UP_EXTENSION)?.valueDate,
      }));
      const wellbeing: CaseloadEntry['wellbeing'] = {};
      for (const q of qrs.filter((x) => about(x) === referral.id)) {
        const tp = q.extension?.find((e) => e.url === TIMEPOINT_EXTENSION)?.valueCode as Timepoint | undefined;
        if (!tp || !(tp in TIMEPOINTS)) continue;
        const scores = Object.fromEntries((q.item ?? []).map((i) => [i.linkId, i.answer?.[0]?.valueInteger])) as Record<Ons4Item, number>;
        wellbeing[tp] = { id: q.id!, authored: q.authored, scores };
      }
      const last = contacts.at(-1);
      return {
        referral, contacts, whatMatters: [...contacts].reverse().find((c) => c.kind === 'what-matters')?.note,
        lastContact: last?.when, followUpDue: last?.followUp, wellbeing,
      };
    });
  }
}

/**
 * The ONS4 change from start to end: only people with both a start and an end score count (a person
 * with a start only is counted apart, never as no change). Mean of end minus start per question.
 */
export function wellbeingChange(people: Pick<CaseloadEntry, 'wellbeing'>[]): WellbeingChange {
  const both = people.filter((e) => e.wellbeing.start && e.wellbeing.end);
  const startOnly = people.filter((e) => e.wellbeing.start && !e.wellbeing.end).length;
  if (both.length === 0) return { withBoth: 0, startOnly };
  const meanChange = {} as Record<Ons4Item, number>;
  for (const item of Object.keys(ONS4_ITEMS) as Ons4Item[]) {
    const sum = both.reduce((s, e) => s + (e.wellbeing.end!.scores[item] - e.wellbeing.start!.scores[item]), 0);
    meanChange[item] = Math.round((sum / both.length) * 10) / 10;
  }
  return { withBoth: both.length, startOnly, meanChange };
}

/** Whether a change in a question is an improvement (anxiety falls; the others rise). */
export function improved(item: Ons4Item, change: number): boolean {
  return ONS4_LOWER_IS_BETTER.includes(item) ? change < 0 : change > 0;
}
