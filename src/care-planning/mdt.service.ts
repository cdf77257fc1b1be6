import type { Appointment, CareTeam, Communication, Encounter, Patient, Task } from '@medplum/fhirtypes';
import { can } from '../access/policy/policy.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { accessContext, sourceOf } from '../access/policy/record-access.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import { VisibilityRepository } from '../access/policy/visibility.repository.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { badRequest, conflict, FhirError, forbidden, invalidResource, issue, notFound } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { cleanText, type TaskService } from '../workflow/task.service.js';
import { MDT_ACTION_KIND, MDT_DISCUSSION_TYPE, MDT_MEETING_TYPE, MDT_NOTE_CATEGORY, taskKindCode } from './care-planning.vocabulary.js';
import { MdtRepository } from './mdt.repository.js';
import { PlanRepository } from './plan.repository.js';
import { actionOf, type Named, type PlanAction } from './plan.view.js';
import { nameOf } from './plan.service.js';
import { ext } from '../synth/fhir.helpers.js';
import { loadGeography } from '../outcomes/place.directory.js';

export interface MeetingSummary {
  id: string;
  title: string;
  start: string;
  organisations: Named[];
}

export interface MeetingPerson {
  itemId: string;
  patientId: string;
  name: string;
  discussion: { text: string; by: string; time: string }[];
  actions: PlanAction[];
  /** Open actions about the person from earlier meetings. */
  carriedOver: PlanAction[];
}

export interface Meeting extends MeetingSummary {
  versionId: number;
  people: MeetingPerson[];
  /** People on the list this user may not see (counted, never named). */
  notShown: number;
}

/** Who an action may be given to: a person (Practitioner) or an organisation, named. */
export type OwnerChoice = Named;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const OWNER = /^(Practitioner|Organization)\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * Multidisciplinary team meetings: arrange one (with the organisations taking part), add people to
 * its list (from case finding or by hand), record each person's discussion and give actions, each
 * with an owner and a due date (a Task on the owner's work list, through TaskService). Open actions
 * carry over: the next meeting shows them against the person, and a new meeting starts with the
 * people whose actions are still open.
 */
export class MdtService {
  private readonly repo = new MdtRepository();
  private readonly plans = new PlanRepository();
  private readonly visibility = new VisibilityRepository();
  private readonly districts = new Map(loadGeography().districts.map((d) => [d.id, d.name]));

  constructor(private readonly resources: ResourceService, private readonly tasks: TaskService, private readonly clock: Clock) {}

  async list(p: Principal): Promise<{ upcoming: MeetingSummary[]; past: MeetingSummary[] }> {
    const now = this.clock.now();
    const r = restrictionFor(p, now);
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const [up, past] = await Promise.all([this.repo.meetings(this.resources.db, r, day, 'upcoming', 20), this.repo.meetings(this.resources.db, r, day, 'past', 10)]);
    return { upcoming: up.map((x) => summaryOf(JSON.parse(x.content))), past: past.map((x) => summaryOf(JSON.parse(x.content))) };
  }

  /**
   * Arranges a meeting on `date` (YYYY-MM-DD) at `time` (HH:MM), with the organisations taking part
   * (the arranger's own always). People whose MDT actions are still open from the last meeting are
   * put on its list, so nothing agreed is forgotten.
   */
  async arrange(p: Principal, o: { title?: string; date?: string; time?: string; organisations?: string[] }): Promise<Meeting> {
    const title = cleanText(o.title ?? '', 'title', 'The meeting\'s name');
    if (!o.date || !ISO_DATE.test(o.date)) throw badRequest('Enter the date of the meeting', 'date-day');
    const time = o.time && /^([01]\d|2[0-3]):[0-5]\d$/.test(o.time) ? o.time : o.time ? undefined : '13:00';
    if (!time) throw badRequest('Enter the time as hours and minutes, like 13:30', 'time');
    const d = can(p, 'mdt.manage', undefined);
    if (!d.allowed || p.kind !== 'staff') throw forbidden(`Not allowed: ${d.reason}`);
    const now = this.clock.now();
    const start = new Date(`${o.date}T${time}:00Z`);
    if (Number.isNaN(start.getTime())) throw badRequest('Enter a real date', 'date-day');
    const orgs = [...new Set([p.organizationId, ...(o.organisations ?? [])])];
    for (const org of orgs) if (!isValidId(org)) throw badRequest('Choose the organisations from the list', 'organisations');
    const names = await this.directoryNames(orgs.map((x) => `Organization/${x}`));
    if (names.size !== orgs.length) throw badRequest('Choose the organisations from the list', 'organisations');
    const previous = (await this.repo.meetings(this.resources.db, restrictionFor(p, now), start, 'past', 1))[0];
    const appt: Appointment = {
      resourceType: 'Appointment', status: 'booked', appointmentType: MDT_MEETING_TYPE, description: title,
      start: start.toISOString(), end: new Date(start.getTime() + 90 * 60_000).toISOString(), created: now.toISOString(),
      participant: [
        ...(p.practitionerId ? [{ actor: { reference: `Practitioner/${p.practitionerId}`, display: p.displayName }, status: 'accepted' as const, required: 'required' as const }] : []),
        ...orgs.map((x) => ({ actor: { reference: `Organization/${x}`, display: names.get(`Organization/${x}`) }, status: x === p.organizationId ? 'accepted' as const : 'needs-action' as const })),
      ],
      // Recorded for every organisation taking part, so each one's staff see the meeting (it names no person).
      meta: { tag: orgs.map(recordedByTag), source: sourceOf(p) },
    };
    const made = await this.resources.create('Appointment', appt);
    if (previous) {
      const carried = await this.get(p, previous.id);
      for (const person of carried.people) {
        if (person.actions.some((a) => a.open) || person.carriedOver.some((a) => a.open)) {
          await this.addPerson(p, made.id, person.patientId).catch((err) => { if (!(err instanceof FhirError)) throw err; });
        }
      }
    }
    return this.get(p, made.id);
  }

  async get(p: Principal, meetingId: string): Promise<Meeting> {
    if (!isValidId(meetingId)) throw notFound('There is no meeting at this address');
    const now = this.clock.now();
    const r = restrictionFor(p, now);
    const row = (await this.plans.visible(this.resources.db, r, 'Appointment', [meetingId])).get(meetingId);
    const appt = row ? (JSON.parse(row.content) as Appointment) : undefined;
    if (!row || !appt || !appt.appointmentType?.coding?.some((c) => c.code === 'mdt-meeting')) throw notFound('There is no meeting at this address');
    const { rows, total } = await this.repo.items(this.resources.db, r, meetingId);
    const items = rows.map((x) => JSON.parse(x.content) as Encounter);
    const itemIds = items.map((e) => e.id!);
    const patientIds = items.map((e) => localReference(e.subject?.reference)?.id ?? '');
    const [patients, notes, actions, open] = await Promise.all([
      this.plans.visible(this.resources.db, r, 'Patient', patientIds),
      this.repo.referring(this.resources.db, r, 'Communication', 'encounter', 'Encounter', itemIds),
      this.repo.referring(this.resources.db, r, 'Task', 'encounter', 'Encounter', itemIds),
      this.repo.openActionsFor(this.resources.db, r, patientIds),
    ]);
    const people: MeetingPerson[] = items.map((e) => {
      const pid = localReference(e.subject?.reference)?.id ?? '';
      const pat = patients.get(pid);
      const mine = (t: { encounter?: { reference?: string } }) => t.encounter?.reference === `Encounter/${e.id}`;
      const tasks = actions.map((x) => JSON.parse(x.content) as Task).filter(mine);
      return {
        itemId: e.id!, patientId: pid, name: pat ? nameOf(JSON.parse(pat.content) as Patient) || 'Unnamed person' : 'Unnamed person',
        discussion: notes.map((x) => JSON.parse(x.content) as Communication).filter(mine).map((c) => ({
          text: c.payload?.[0]?.contentString ?? '', by: c.sender?.display ?? c.sender?.reference ?? 'Someone', time: c.sent ?? '',
        })),
        actions: tasks.map(actionOf),
        carriedOver: open.map((x) => JSON.parse(x.content) as Task).filter((t) => t.for?.reference === `Patient/${pid}` && !mine(t)).map(actionOf),
      };
    });
    return { ...summaryOf(appt), versionId: row.versionId, people, notShown: total - people.length };
  }

  /** Adds a person to a meeting's list: staff caring for them (mdt.manage with the care relationship); once per meeting. */
  async addPerson(p: Principal, meetingId: string, patientId: string): Promise<string> {
    const now = this.clock.now();
    const meeting = await this.get(p, meetingId);
    if (!isValidId(patientId)) throw badRequest('Choose a person', 'patient');
    const seen = await this.visibility.visiblePatients(this.resources.db, restrictionFor(p, now), [patientId]);
    const d = can(p, 'mdt.manage', { careRelationship: seen.has(patientId) });
    if (!seen.has(patientId)) throw notFound('There is no person at this address');
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    if (meeting.people.some((x) => x.patientId === patientId)) throw conflict('This person is already on the meeting\'s list');
    const enc: Encounter = {
      resourceType: 'Encounter', status: 'planned', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' },
      type: [MDT_DISCUSSION_TYPE], subject: { reference: `Patient/${patientId}` }, appointment: [{ reference: `Appointment/${meetingId}` }],
      period: { start: meeting.start }, ...(p.kind === 'staff' ? { serviceProvider: { reference: `Organization/${p.organizationId}` } } : {}),
    };
    const made = await this.resources.create('Encounter', enc, { ctx: { baseUrl: '', ...accessContext(p, now) } });
    return made.id;
  }

  /** The discussion record for one person at the meeting. */
  async recordDiscussion(p: Principal, meetingId: string, itemId: string, text: string): Promise<void> {
    const words = cleanText(text, `discussion-${itemId}`, 'The discussion record');
    const item = await this.item(p, meetingId, itemId);
    const now = this.clock.now();
    const comm: Communication = {
      resourceType: 'Communication', status: 'completed', category: [MDT_NOTE_CATEGORY], subject: { reference: `Patient/${item.patientId}` },
      encounter: { reference: `Encounter/${itemId}` }, sent: now.toISOString(), payload: [{ contentString: words }],
      ...(p.kind === 'staff' && p.practitionerId ? { sender: { reference: `Practitioner/${p.practitionerId}`, display: p.displayName } } : {}),
    };
    await this.resources.create('Communication', comm, { ctx: { baseUrl: '', ...accessContext(p, now) } });
  }

  /**
   * An action for one person: what, who (a person or an organisation) and by when, as a Task. Without
   * an owner or a due date it is refused, naming both, and nothing is written.
   */
  async addAction(p: Principal, meetingId: string, itemId: string, a: { what?: string; owner?: string; due?: string }): Promise<void> {
    const problems = [];
    let what: string | undefined;
    try {
      what = cleanText(a.what ?? '', `what-${itemId}`, 'What is to be done');
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      problems.push(issue('required', err.outcome.issue![0].diagnostics!, `what-${itemId}`));
    }
    if (!a.owner || !OWNER.test(a.owner)) problems.push(issue('required', 'Choose who owns the action: a person or an organisation', `owner-${itemId}`));
    if (!a.due || !ISO_DATE.test(a.due)) problems.push(issue('required', 'Enter the date the action is due by', `due-${itemId}-day`));
    if (problems.length) throw invalidResource(problems);
    const item = await this.item(p, meetingId, itemId);
    const names = await this.directoryNames([a.owner!]);
    if (!names.has(a.owner!)) throw invalidResource([issue('business-rule', `${a.owner} is not known`, `owner-${itemId}`)]);
    await this.tasks.create(p, {
      code: taskKindCode(MDT_ACTION_KIND), description: what, for: { reference: `Patient/${item.patientId}` }, encounter: { reference: `Encounter/${itemId}` },
      owner: { reference: a.owner!, display: names.get(a.owner!) }, restriction: { period: { end: a.due! } },
    });
  }

  /**
   * Whom an action may be given to at a meeting: each person's care team (people and
   * organisations) and the organisations taking part in the meeting.
   */
  async ownerChoices(p: Principal, meeting: Meeting): Promise<Map<string, OwnerChoice[]>> {
    const byPerson = await this.careTeamChoices(p, meeting.people.map((x) => x.patientId), meeting.organisations.map((o) => o.reference));
    return new Map(meeting.people.map((x) => [x.itemId, byPerson.get(x.patientId) ?? []]));
  }

  /** The people and organisations on each person's active care teams (visible to the caller), plus `extra`, named, by person. */
  async careTeamChoices(p: Principal, patientIds: string[], extra: string[] = []): Promise<Map<string, OwnerChoice[]>> {
    const r = restrictionFor(p, this.clock.now());
    const teams = await this.repo.referring(this.resources.db, r, 'CareTeam', 'subject', 'Patient', patientIds);
    const byPerson = new Map<string, string[]>();
    for (const t of teams.map((x) => JSON.parse(x.content) as CareTeam)) {
      if (t.status && t.status !== 'active') continue;
      const pid = localReference(t.subject?.reference)?.id ?? '';
      const list = byPerson.get(pid) ?? [];
      for (const part of t.participant ?? []) {
        const ref = part.member?.reference;
        if (ref && OWNER.test(ref)) list.push(ref);
        if (part.onBehalfOf?.reference) list.push(part.onBehalfOf.reference);
      }
      byPerson.set(pid, list);
    }
    const names = await this.directoryNames([...new Set([...extra, ...[...byPerson.values()].flat()])]);
    const out = new Map<string, OwnerChoice[]>();
    for (const pid of patientIds) {
      const mine = [...new Set([...(byPerson.get(pid) ?? []), ...extra])].filter((x) => names.has(x));
      out.set(pid, mine.map((reference) => ({ reference, name: names.get(reference)! })).sort((a, b) => a.name.localeCompare(b.name)));
    }
    return out;
  }

  /** A district's name ('tonbridge-and-malling' → 'Tonbridge and Malling'), from the reference geography. */
  districtName(id: string): string {
    return this.districts.get(id) ?? id;
  }

  /**
   * Organisations to invite to a meeting, every one of them: those serving all of Kent and Medway
   * (trusts, the councils, the ICB: no district) and those in the district of the caller's
   * organisation; for a caller whose organisation serves everywhere, all. (It was the first 200 by
   * name, "Acol Chemist" to "Ashgrove Care Home": no council or trust could be chosen, and nothing said so.)
   */
  async organisations(p: Principal): Promise<{ organisations: Named[]; district?: string }> {
    const res = await this.resources.db.query<{ id: string; name: string | null; district: string | null }>(
      `WITH o AS (
         SELECT r.id, r.content::jsonb ->> 'name' AS name,
                (SELECT x ->> 'valueString' FROM jsonb_array_elements(coalesce(r.content::jsonb -> 'extension', '[]'::jsonb)) x WHERE x ->> 'url' = $1 LIMIT 1) AS district
           FROM resource r WHERE r.resource_type = 'Organization' AND NOT r.deleted),
       mine AS (SELECT district FROM o WHERE id = $2)
       SELECT o.id, o.name, (SELECT district FROM mine) AS district FROM o
        WHERE o.district IS NULL OR (SELECT district FROM mine) IS NULL OR o.district = (SELECT district FROM mine)
        ORDER BY o.name, o.id`,
      [ext.district, p.kind === 'staff' ? p.organizationId : ''],
    );
    const district = res.rows[0]?.district ?? undefined;
    return { organisations: res.rows.map((r) => ({ reference: `Organization/${r.id}`, name: r.name ?? r.id })), ...(district ? { district } : {}) };
  }

  private async item(p: Principal, meetingId: string, itemId: string): Promise<MeetingPerson> {
    const meeting = await this.get(p, meetingId);
    const item = meeting.people.find((x) => x.itemId === itemId);
    if (!item) throw notFound('That person is not on this meeting\'s list');
    const d = can(p, 'mdt.manage', { careRelationship: true });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    return item;
  }

  /** Names of directory entries (Practitioners, Organizations), read from the shared directory. */
  private async directoryNames(refs: string[]): Promise<Map<string, string>> {
    const keys = refs.map((x) => localReference(x)).filter((k): k is NonNullable<typeof k> => !!k && (k.type === 'Practitioner' || k.type === 'Organization'));
    if (keys.length === 0) return new Map();
    const rows = await this.resources.repo.readCurrentMany(this.resources.db, keys.map((k) => ({ type: k.type, id: k.id })));
    const out = new Map<string, string>();
    for (const row of rows) {
      if (row.deleted || !row.content) continue;
      const r = JSON.parse(row.content);
      out.set(`${row.resource_type}/${row.id}`, typeof r.name === 'string' ? r.name : nameOf(r) || row.id);
    }
    return out;
  }
}

function summaryOf(a: Appointment): MeetingSummary {
  return {
    id: a.id!, title: a.description ?? 'MDT meeting', start: a.start ?? '',
    organisations: (a.participant ?? []).flatMap((x) => (x.actor?.reference?.startsWith('Organization/') ? [{ reference: x.actor.reference, name: x.actor.display ?? x.actor.reference }] : [])),
  };
}
