import { readConsents } from '../access/policy/consent.reading.js';
import { VisibilityRepository } from '../access/policy/visibility.repository.js';
import { notShownTo, type NotShown } from './not-shown.js';
import { isCareCoordination } from '../care-planning/care-planning.vocabulary.js';
import { DONE_BY_STATUSES, OUTCOME_NOTE, TASK_KIND_SYSTEM, TASK_KINDS, TASK_STATUS_TEXT, taskHeadline, type TaskStatus } from '../workflow/task.vocabulary.js';
import type { Queryable } from '../db/database.js';
import type { Principal } from '../access/principal.js';
import { BreakGlassService, readableTypes, recordedByTags, restrictionFor, roleRule, type BreakGlassGrant } from '../access/policy/index.js';
import { decodeCursor, encodeCursor } from '../fhir/cursor.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { badRequest } from '../fhir/outcome.js';
import { isValidId } from '../fhir/reference.js';
import { ACTIVE_EPISODE_STATUSES, isActiveCareTeam } from '../fhir/statuses.js';
import type { RowRestriction } from '../fhir/search.repository.js';
import {
  addressText, ageOn, conceptText, conceptsText, contactsOf, formatDate, humanName, nameOf, periodText, quantityText, refId, statusText,
} from './fhir-text.js';
import type { Words } from './uk-terms.js';
import { RecordRepository, type RecordRow, type TimelineRow } from './record.repository.js';
import { typeWords } from './type-words.js';

type Any = any; // stored FHIR JSON; read defensively below

/** Kinds of timeline entry a user can filter by, and the types behind each. */
export const TIMELINE_KINDS = {
  contact: { label: 'Appointments, visits and admissions', types: ['Encounter', 'Appointment'] },
  referral: { label: 'Referrals', types: ['ServiceRequest'] },
  episode: { label: 'Episodes of care', types: ['EpisodeOfCare'] },
  diagnosis: { label: 'Diagnoses and problems', types: ['Condition'] },
  medication: { label: 'Medicines', types: ['MedicationRequest', 'MedicationStatement'] },
  observation: { label: 'Measurements and assessments', types: ['Observation', 'RiskAssessment'] },
  questionnaire: { label: 'Questionnaires', types: ['QuestionnaireResponse'] },
  document: { label: 'Letters, messages and documents', types: ['DocumentReference', 'Composition', 'Communication'] },
  plan: { label: 'Care plans', types: ['CarePlan'] },
  task: { label: 'Tasks and work done', types: ['Task'] },
} as const;
export type TimelineKind = keyof typeof TIMELINE_KINDS;
const TIMELINE_TYPES: string[] = Object.values(TIMELINE_KINDS).flatMap((k) => [...k.types]);
const KIND_OF = new Map<string, TimelineKind>(Object.entries(TIMELINE_KINDS).flatMap(([k, v]) => v.types.map((t) => [t, k as TimelineKind])));

/** Types the summary's sections read (beside the timeline). */
const SECTION_TYPES = [
  'CareTeam', 'CarePlan', 'Goal', 'Condition', 'MedicationRequest', 'MedicationStatement', 'AllergyIntolerance',
  'RelatedPerson', 'Consent', 'Flag', 'EpisodeOfCare', 'ServiceRequest',
];

export const TIMELINE_DEFAULT_COUNT = 20;
export const TIMELINE_MAX_COUNT = 100;

export interface TimelineQuery {
  kind?: string;
  organisation?: string;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  /** YYYY-MM-DD, inclusive. */
  to?: string;
  cursor?: string;
  count?: string | number;
}

export interface OrgRef { id: string; name: string }
export interface TimelineEntry {
  type: string;
  id: string;
  kind: TimelineKind;
  kindLabel: string;
  date?: string;
  title: string;
  detail?: string;
  /** The FHIR status code, and its words as every page says them (fhir-text's statusText). */
  status?: string;
  statusText?: string;
  organisation?: OrgRef;
}
export interface TimelinePage {
  entries: TimelineEntry[];
  /** Pass back as `cursor` for the next (older) page. */
  next?: string;
  filter: { kind?: TimelineKind; organisation?: string; from?: string; to?: string; count: number };
}

export interface CareTeamMember { name: string; role?: string; organisation?: string; contacts: string[]; named?: boolean; team?: string }
export interface RecordSummary {
  patient: {
    id: string; name: string; nhsNumber?: string; birthDate?: string; age?: number; gender?: string;
    address?: string; contacts: string[]; gp?: OrgRef; language?: string; interpreterRequired: boolean;
  };
  /** How this principal comes to see the record. */
  access: { basis: 'care' | 'break-glass' | 'self' | 'proxy'; breakGlass?: { reason: string; text: string; expiresAt: string } };
  alerts: { text: string; kind: 'flag' | 'communication' | 'safeguarding'; detail?: string; organisation?: string }[];
  communicationNeeds: string[];
  whatMatters: string[];
  consent: {
    /** A sharing objection is in force: entries from other organisations are withheld. */
    sharingWithheld: boolean;
    /** The proxy access the person has given, by carer name. */
    proxies: { name: string; scope: string }[];
    summary: string;
  };
  /** Kinds of information the policy hides from this caller (role, a carer's grants), said in words per part of the page. */
  notShown: NotShown;
  /** Entries of the person's record this principal does not see (sensitive labels, consent). Count only for staff who see the record. */
  withheld: { count: number; reason: string } | undefined;
  careTeam: CareTeamMember[];
  namedProfessional?: CareTeamMember;
  problems: { text: string; since?: string; organisation?: string }[];
  medications: { text: string; dosage?: string; since?: string; organisation?: string }[];
  allergies: { text: string; reaction?: string; criticality?: string }[];
  carers: { name: string; relationship: string; contacts: string[]; proxy: boolean }[];
  carePlans: { title: string; period?: string; goals: string[]; actions: { text: string; status?: string; when?: string }[]; nextReview?: string; organisation?: string }[];
  referrals: { text: string; status: string; to?: string; from?: string; date?: string }[];
  organisations: { id: string; name: string; entries: number }[];
  timeline: TimelinePage;
}

export type SummaryResult =
  | { status: 'ok'; summary: RecordSummary }
  | { status: 'not-found' }
  /** The person exists but this principal has no legitimate relationship (or consent) to see them. */
  | { status: 'no-relationship'; canBreakGlass: boolean };

/**
 * Assembles one person's joined-up record for the summary page, always through the principal's row
 * restriction (src/access/policy), in a handful of statements: the Patient, the section rows, the
 * counts by organisation (which also say how much is withheld), a page of the timeline, and the
 * directory entries they name.
 */
export class RecordSummaryService {
  private readonly repo = new RecordRepository();
  private readonly breakGlass: BreakGlassService;

  private readonly visibility = new VisibilityRepository();

  constructor(private readonly db: Queryable) {
    this.breakGlass = new BreakGlassService(db);
  }

  async summary(principal: Principal, patientId: string, now: Date, query: TimelineQuery = {}): Promise<SummaryResult> {
    if (!isValidId(patientId)) return { status: 'not-found' };
    const filter = parseTimelineQuery(query);
    const restriction = restrictionFor(principal, now);
    const patientRow = await this.repo.patient(this.db, restriction, patientId);
    if (!patientRow) return { status: 'not-found' };
    if (!patientRow.visible || !patientRow.content) {
      if (principal.kind !== 'staff') return { status: 'not-found' };
      return { status: 'no-relationship', canBreakGlass: roleRule(principal.role).breakGlass && principal.patientId === undefined };
    }
    const readable = new Set(readableTypes(principal));
    const sectionTypes = SECTION_TYPES.filter((t) => readable.has(t));
    const facetTypes = [...new Set([...sectionTypes, ...TIMELINE_TYPES])].filter((t) => readable.has(t));
    const [rows, facets, page, grant] = await Promise.all([
      this.repo.rows(this.db, restriction, patientId, sectionTypes),
      this.repo.facets(this.db, restriction, patientId, facetTypes),
      this.timelineRows(restriction, patientId, filter, readable),
      principal.kind === 'staff' ? this.breakGlass.activeGrant(principal, patientId, now) : Promise.resolve(undefined),
    ]);
    const patient = JSON.parse(patientRow.content) as Any;
    const byType = groupRows(rows);
    const refs = collectRefs(patient, rows, page.rows, facets.map((f) => f.org_id));
    const dir = new Directory(await this.repo.directory(this.db, restriction, refs));
    const summary = assemble(principal, patient, byType, facets, dir, now, grant);
    summary.timeline = presentTimeline(page.rows, page.next, filter, dir, wordsFor(principal));
    summary.notShown = notShownTo(principal, await this.visibleTypes(principal, readable, patientId, now), summary.patient.name, TIMELINE_KINDS);
    return { status: 'ok', summary };
  }

  /**
   * The person's name and what the policy hides from this caller by kind, without the rest of the
   * summary: for a page that lists one kind (a carer's referrals) and must say when it is not shared.
   * Undefined when the person is not visible to the caller.
   */
  async notShown(principal: Principal, patientId: string, now: Date): Promise<{ name: string; notShown: NotShown } | undefined> {
    if (!isValidId(patientId)) return undefined;
    const row = await this.repo.patient(this.db, restrictionFor(principal, now), patientId);
    if (!row?.visible || !row.content) return undefined;
    const name = personName(JSON.parse(row.content) as Any);
    return { name, notShown: notShownTo(principal, await this.visibleTypes(principal, new Set(readableTypes(principal)), patientId, now), name, TIMELINE_KINDS) };
  }

  /** The types this caller may see of this person: their role's (staff), the person's grants (a carer), or all (the person). */
  private async visibleTypes(p: Principal, readable: Set<string>, patientId: string, now: Date): Promise<Set<string> | undefined> {
    if (p.kind === 'resident') return undefined;
    if (p.kind === 'proxy') {
      const granted = await this.visibility.proxyGrantedTypes(this.db, p.relatedPersonIds, patientId, now);
      return granted === null ? readable : new Set(granted.filter((t) => readable.has(t)));
    }
    return readable;
  }

  /** A page of the timeline on its own (for the JSON API and paging). Undefined when the person is not visible. */
  async timeline(principal: Principal, patientId: string, now: Date, query: TimelineQuery = {}): Promise<TimelinePage | undefined> {
    if (!isValidId(patientId)) return undefined;
    const filter = parseTimelineQuery(query);
    const restriction = restrictionFor(principal, now);
    const patientRow = await this.repo.patient(this.db, restriction, patientId);
    if (!patientRow?.visible) return undefined;
    const page = await this.timelineRows(restriction, patientId, filter, new Set(readableTypes(principal)));
    const refs = collectRefs(undefined, [], page.rows, page.rows.map((r) => r.org_id));
    const dir = new Directory(await this.repo.directory(this.db, restriction, refs));
    return presentTimeline(page.rows, page.next, filter, dir, wordsFor(principal));
  }

  private async timelineRows(restriction: RowRestriction, patientId: string, f: ParsedFilter, readable: Set<string>): Promise<{ rows: TimelineRow[]; next?: string }> {
    const types = (f.kind ? [...TIMELINE_KINDS[f.kind].types] : TIMELINE_TYPES).filter((t) => readable.has(t));
    if (types.length === 0) return { rows: [] };
    const rows = await this.repo.timeline(this.db, restriction, patientId, {
      types, organisationId: f.organisation, from: f.fromInstant, before: f.beforeInstant, cursor: f.cursorValue, limit: f.count + 1,
    });
    let next: string | undefined;
    if (rows.length > f.count) {
      rows.length = f.count;
      const last = rows[rows.length - 1];
      next = encodeCursor({ v: [last.at], r: last.rid });
    }
    return { rows, next };
  }
}

interface ParsedFilter {
  kind?: TimelineKind;
  organisation?: string;
  from?: string;
  to?: string;
  fromInstant?: string;
  beforeInstant?: string;
  cursorValue?: { at: string | null; rid: string };
  count: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return Number.isFinite(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Checks every timeline parameter; a bad one is a 400 naming it (never a database error). */
export function parseTimelineQuery(q: TimelineQuery): ParsedFilter {
  const f: ParsedFilter = { count: TIMELINE_DEFAULT_COUNT };
  const str = (v: unknown, name: string): string | undefined => {
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw badRequest(`${name} must be given once`, name);
    return v;
  };
  const kind = str(q.kind, 'kind');
  if (kind !== undefined) {
    if (!(kind in TIMELINE_KINDS)) throw badRequest(`kind must be one of: ${Object.keys(TIMELINE_KINDS).join(', ')}`, 'kind');
    f.kind = kind as TimelineKind;
  }
  const org = str(q.organisation, 'organisation');
  if (org !== undefined) {
    if (!isValidId(org)) throw badRequest('organisation must be an Organization id', 'organisation');
    f.organisation = org;
  }
  const from = str(q.from, 'from');
  if (from !== undefined) {
    if (!validDate(from)) throw badRequest('from must be a date written YYYY-MM-DD', 'from');
    f.from = from;
    f.fromInstant = `${from}T00:00:00Z`;
  }
  const to = str(q.to, 'to');
  if (to !== undefined) {
    if (!validDate(to)) throw badRequest('to must be a date written YYYY-MM-DD', 'to');
    f.to = to;
    f.beforeInstant = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString();
  }
  if (f.from && f.to && f.from > f.to) throw badRequest('from must not be after to', 'from');
  const count = q.count === undefined || q.count === '' ? undefined : Number(q.count);
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 1 || count > TIMELINE_MAX_COUNT) throw badRequest(`count must be a whole number from 1 to ${TIMELINE_MAX_COUNT}`, 'count');
    f.count = count;
  }
  const cursor = str(q.cursor, 'cursor');
  if (cursor !== undefined) {
    // The date is null for an undated row (they sort last).
    const c = decodeCursor(cursor, ['timestamptz'], 'cursor');
    f.cursorValue = { at: c.v[0], rid: c.r };
  }
  return f;
}

function groupRows(rows: RecordRow[]): Map<string, Any[]> {
  const m = new Map<string, Any[]>();
  for (const r of rows) {
    const list = m.get(r.resource_type) ?? [];
    list.push(JSON.parse(r.content));
    m.set(r.resource_type, list);
  }
  return m;
}

/** Every directory reference the page will name. */
function collectRefs(patient: Any, rows: RecordRow[], timeline: TimelineRow[], orgIds: (string | null)[]): string[] {
  const out = new Set<string>();
  const walk = (v: Any) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      if (typeof v.reference === 'string' && /^(Practitioner|PractitionerRole|Organization|HealthcareService|Location)\//.test(v.reference)) out.add(v.reference);
      for (const k in v) if (k !== 'text' && k !== 'extension') walk(v[k]);
    }
  };
  if (patient) walk(patient);
  for (const r of rows) walk(JSON.parse(r.content));
  for (const r of timeline) walk(JSON.parse(r.content));
  for (const id of orgIds) if (id) out.add(`Organization/${id}`);
  return [...out];
}

/** Names and contacts of the directory entries the page names. */
class Directory {
  private readonly byRef = new Map<string, Any>();
  constructor(rows: RecordRow[]) {
    for (const r of rows) this.byRef.set(`${r.resource_type}/${r.id}`, JSON.parse(r.content));
  }
  get(ref: string | undefined): Any {
    return ref ? this.byRef.get(ref) : undefined;
  }
  orgName(id: string | undefined): string | undefined {
    return id ? nameOf(this.get(`Organization/${id}`)) || undefined : undefined;
  }
  /** Who or what a reference names, with role and organisation when it is a PractitionerRole. */
  person(ref: Any): CareTeamMember | undefined {
    const r = typeof ref?.reference === 'string' ? ref.reference : undefined;
    const found = this.get(r);
    if (!found) return ref?.display ? { name: ref.display, contacts: [] } : undefined;
    switch (found.resourceType) {
      case 'PractitionerRole': {
        const pr = this.get(found.practitioner?.reference);
        return {
          name: nameOf(pr) || found.practitioner?.display || 'Unnamed practitioner',
          role: conceptsText(found.code) || conceptsText(found.specialty) || undefined,
          organisation: this.orgName(refId(found.organization, 'Organization')),
          contacts: contactsOf(found.telecom?.length ? found.telecom : pr?.telecom),
        };
      }
      case 'Practitioner':
        return { name: nameOf(found), contacts: contactsOf(found.telecom) };
      case 'HealthcareService':
        return { name: found.name ?? 'Service', organisation: this.orgName(refId(found.providedBy, 'Organization')), contacts: contactsOf(found.telecom) };
      case 'Organization':
        return { name: nameOf(found), contacts: contactsOf(found.telecom) };
      default:
        return { name: nameOf(found) || r || '', contacts: [] };
    }
  }
  /** The organisation a reference belongs to (itself, or a role's or service's organisation). */
  orgOf(ref: Any): string | undefined {
    const found = this.get(ref?.reference);
    if (!found) return ref?.display;
    if (found.resourceType === 'Organization') return nameOf(found);
    if (found.resourceType === 'PractitionerRole') return this.orgName(refId(found.organization, 'Organization'));
    if (found.resourceType === 'HealthcareService') return this.orgName(refId(found.providedBy, 'Organization'));
    return undefined;
  }
}

const EXT = 'https://onestory.example/fhir/StructureDefinition/';

function extensionOf(r: Any, suffix: string): Any {
  return (r.extension ?? []).find((e: Any) => typeof e?.url === 'string' && (e.url === `${EXT}${suffix}` || e.url.endsWith(`/${suffix}`)));
}

/** The person and their carer read plain English ("Breathlessness"); staff read the clinical term. */
function wordsFor(p: Principal): Words {
  return p.kind === 'resident' || p.kind === 'proxy' ? 'plain' : 'clinical';
}

/** The recorded-by tag of a resource, else undefined (the timeline works the organisation out in SQL). */
const recordedBy = (r: Any): string | undefined => recordedByTags(r)[0]?.code;

/** A Patient's name as the pages say it, the same on every page that names them. */
const personName = (patient: Any): string => humanName(patient.name) || 'Name not recorded';

function assemble(principal: Principal, patient: Any, byType: Map<string, Any[]>, facets: { org_id: string | null; resource_type: string; visible: number; hidden: number }[], dir: Directory, now: Date, grant?: BreakGlassGrant): RecordSummary {
  const list = (t: string) => byType.get(t) ?? [];
  const words = wordsFor(principal);
  const nhsNumber = (patient.identifier ?? []).find((i: Any) => i?.system === NHS_NUMBER_SYSTEM)?.value;
  const gpId = refId(patient.generalPractitioner?.find((g: Any) => refId(g, 'Organization')) ?? patient.generalPractitioner?.[0], 'Organization');
  const lang = (patient.communication ?? []).find((c: Any) => c?.preferred) ?? patient.communication?.[0];
  const language = lang ? conceptText(lang.language) : undefined;
  const interpreterRequired = extensionOf(patient, 'interpreter-required')?.valueBoolean === true;

  const communicationNeeds: string[] = [];
  const need = extensionOf(patient, 'communication-need');
  if (need?.valueCodeableConcept) communicationNeeds.push(conceptText(need.valueCodeableConcept));
  if (interpreterRequired) communicationNeeds.push(`Needs an interpreter${language ? ` (${language})` : ''}`);
  if (language && language !== 'English' && !interpreterRequired) communicationNeeds.push(`Preferred language: ${language}`);

  const alerts: RecordSummary['alerts'] = [];
  for (const f of list('Flag')) {
    if (f.status !== 'active') continue;
    const cat = conceptsText(f.category);
    alerts.push({
      text: conceptText(f.code) || 'Alert', detail: cat || undefined,
      kind: /safeguard/i.test(`${cat} ${conceptText(f.code)}`) ? 'safeguarding' : 'flag', organisation: dir.orgOf(f.author) ?? dir.orgName(recordedBy(f)),
    });
  }
  for (const n of communicationNeeds) if (!n.startsWith('Preferred language')) alerts.push({ text: n, kind: 'communication' });

  // Consent, read as the access policy reads it (readConsents): a sharing objection, and the proxy grants in force now.
  const carersById = new Map(list('RelatedPerson').map((rp: Any) => [rp.id, rp]));
  const consents = readConsents(list('Consent'), now);
  const sharingWithheld = consents.sharingWithheld;
  const proxies = consents.proxyGrants.map((g) => ({
    name: nameOf(carersById.get(g.relatedPersonId)) || 'A carer',
    scope: g.types ? g.types.map(typeWords).join(', ') : 'the whole record',
  }));
  const proxyIds = new Set(consents.proxyGrants.map((g) => g.relatedPersonId));

  // Care team: active CareTeams' participants, then care managers of active episodes, then the GP practice.
  const careTeam: CareTeamMember[] = [];
  const onTeams = new Set<string>();
  let namedProfessional: CareTeamMember | undefined;
  for (const team of list('CareTeam')) {
    if (!isActiveCareTeam(team)) continue;
    for (const part of team.participant ?? []) {
      if (part.member?.reference) onTeams.add(part.member.reference);
      const m = dir.person(part.member) ?? (part.member?.reference?.startsWith('RelatedPerson/') ? { name: nameOf(carersById.get(refId(part.member))) || 'Carer', contacts: [] } : undefined);
      if (!m) continue;
      const role = conceptsText(part.role);
      const member: CareTeamMember = { ...m, role: role || m.role, team: team.name, organisation: m.organisation ?? dir.orgOf(part.onBehalfOf) };
      if (/named|lead|key worker|care coordinator/i.test(role) && !namedProfessional) {
        member.named = true;
        namedProfessional = member;
      }
      careTeam.push(member);
    }
  }
  for (const eoc of list('EpisodeOfCare')) {
    if (!ACTIVE_EPISODE_STATUSES.has(eoc.status)) continue;
    // The named professional is the care manager of the one active care-coordination episode
    // (src/care-planning): it outranks a care team's role words.
    if (eoc.status === 'active' && isCareCoordination(eoc)) {
      const m = dir.person(eoc.careManager);
      const named: CareTeamMember = { ...(m ?? { name: eoc.careManager?.display ?? 'Not recorded', contacts: [] }), role: 'Named professional (care coordinator)', named: true, organisation: m?.organisation ?? dir.orgName(refId(eoc.managingOrganization, 'Organization')) };
      if (namedProfessional) namedProfessional.named = false;
      namedProfessional = named;
      const onTeam = careTeam.find((x) => eoc.careManager?.reference && x.name === named.name);
      if (onTeam) { onTeam.named = true; continue; }
      careTeam.push(named);
      continue;
    }
    // A care manager who is already on a care team is listed once, with their team role.
    if (eoc.careManager?.reference && onTeams.has(eoc.careManager.reference)) continue;
    const m = dir.person(eoc.careManager);
    const org = dir.orgName(refId(eoc.managingOrganization, 'Organization'));
    if (m) careTeam.push({ ...m, role: `${m.role ? `${m.role}, ` : ''}care manager: ${conceptsText(eoc.type) || 'episode of care'}`, organisation: m.organisation ?? org });
    else if (org) careTeam.push({ name: org, role: conceptsText(eoc.type) || 'Episode of care', contacts: contactsOf(dir.get(`Organization/${refId(eoc.managingOrganization)}`)?.telecom) });
  }
  if (gpId) {
    const gp = dir.get(`Organization/${gpId}`);
    careTeam.push({ name: nameOf(gp) || 'GP practice', role: 'Registered GP practice', contacts: contactsOf(gp?.telecom) });
  }

  const goals = list('Goal');
  const whatMatters = goals
    .filter((g: Any) => (g.category ?? []).some((c: Any) => /what[- ]matters/i.test(`${conceptText(c)} ${(c.coding ?? []).map((x: Any) => x.code).join(' ')}`)))
    .map((g: Any) => conceptText(g.description))
    .filter(Boolean);

  const problems = list('Condition')
    .filter((c: Any) => !c.clinicalStatus || (c.clinicalStatus.coding ?? []).some((x: Any) => ['active', 'recurrence', 'relapse'].includes(x.code)))
    .map((c: Any) => ({ text: conceptText(c.code, words) || 'Unnamed problem', since: formatDate(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate) || undefined, organisation: dir.orgOf(c.asserter) ?? dir.orgName(recordedBy(c)), sort: String(c.onsetDateTime ?? c.recordedDate ?? '') }))
    .sort((a, b) => b.sort.localeCompare(a.sort))
    .map(({ sort: _s, ...rest }) => rest);

  const medications = [...list('MedicationRequest'), ...list('MedicationStatement')]
    .filter((m: Any) => m.status === 'active' || m.status === 'on-hold' || m.status === 'intended')
    .map((m: Any) => ({
      text: conceptText(m.medicationCodeableConcept) || m.medicationReference?.display || 'Medicine',
      dosage: (m.dosageInstruction ?? m.dosage ?? []).map((d: Any) => d.text).filter(Boolean).join('; ') || undefined,
      since: formatDate(m.authoredOn ?? m.effectiveDateTime ?? m.effectivePeriod?.start) || undefined,
      organisation: dir.orgOf(m.requester) ?? dir.orgName(recordedBy(m)),
    }))
    .sort((a, b) => a.text.localeCompare(b.text));

  const allergies = list('AllergyIntolerance')
    .filter((a: Any) => !a.clinicalStatus || (a.clinicalStatus.coding ?? []).some((x: Any) => x.code === 'active'))
    .map((a: Any) => ({
      text: conceptText(a.code, words) || 'Allergy', criticality: a.criticality === 'high' ? 'High risk' : undefined,
      reaction: (a.reaction ?? []).flatMap((r: Any) => (r.manifestation ?? []).map((m: Any) => conceptText(m, words))).filter(Boolean).join(', ') || undefined,
    }));

  const carers = list('RelatedPerson')
    .filter((rp: Any) => rp.active !== false)
    .map((rp: Any) => ({
      name: nameOf(rp) || 'Unnamed', relationship: conceptsText(rp.relationship) || 'Related person',
      contacts: contactsOf(rp.telecom), proxy: proxyIds.has(rp.id),
    }));

  const goalById = new Map(goals.map((g: Any) => [g.id, g]));
  const carePlans = list('CarePlan')
    .filter((cp: Any) => cp.status === 'active' || cp.status === 'on-hold' || cp.status === 'draft')
    .map((cp: Any) => {
      const actions = (cp.activity ?? []).map((a: Any) => ({
        text: conceptText(a.detail?.code) || a.detail?.description || conceptText(a.detail?.kind) || 'Action',
        status: statusText(a.detail?.status) || undefined, when: formatDate(a.detail?.scheduledPeriod?.start ?? a.detail?.scheduledString) || undefined,
        review: /review/i.test(`${conceptText(a.detail?.code)} ${a.detail?.description ?? ''}`) && a.detail?.status !== 'completed'
          ? (a.detail?.scheduledPeriod?.start ?? a.detail?.scheduledString) : undefined,
      }));
      const reviews = actions.map((a: Any) => a.review).filter((x: unknown): x is string => typeof x === 'string').sort();
      return {
        title: cp.title || conceptsText(cp.category) || 'Care plan',
        period: periodText(cp.period) || undefined,
        goals: (cp.goal ?? []).map((g: Any) => conceptText(goalById.get(refId(g, 'Goal'))?.description) || g.display).filter(Boolean),
        actions: actions.map(({ review: _r, ...a }: Any) => a),
        nextReview: formatDate(reviews[0] ?? cp.period?.end) || undefined,
        organisation: dir.orgOf(cp.author) ?? dir.orgName(recordedBy(cp)),
      };
    });

  const referrals = list('ServiceRequest')
    .filter((s: Any) => ['active', 'draft', 'on-hold'].includes(s.status))
    .map((s: Any) => ({
      text: conceptText(s.code) || conceptsText(s.category) || 'Referral', status: statusText(s.status, 'ServiceRequest'),
      to: (s.performer ?? []).map((p: Any) => dir.person(p)?.name).filter(Boolean).join(', ') || undefined,
      from: dir.orgOf(s.requester) ?? dir.orgName(recordedBy(s)), date: formatDate(s.authoredOn) || undefined,
    }));

  // Counts by organisation; what this principal cannot see, and why, in words.
  const orgCounts = new Map<string, number>();
  let hidden = 0;
  for (const f of facets) {
    hidden += f.hidden;
    if (f.org_id && TIMELINE_TYPES.includes(f.resource_type)) orgCounts.set(f.org_id, (orgCounts.get(f.org_id) ?? 0) + f.visible);
  }
  const organisations = [...orgCounts].map(([id, entries]) => ({ id, name: dir.orgName(id) ?? id, entries })).sort((a, b) => a.name.localeCompare(b.name));

  let withheld: RecordSummary['withheld'];
  if (principal.kind === 'staff' && hidden > 0) {
    withheld = {
      count: hidden,
      reason: sharingWithheld && !grant
        ? 'This person has objected to sharing their record beyond the organisations that recorded it.'
        : 'Entries are withheld when they carry a sensitive-information label your role may not see, or involve another person who has not consented to sharing.',
    };
  }

  const basis: RecordSummary['access']['basis'] = principal.kind === 'resident' ? 'self' : principal.kind === 'proxy' ? 'proxy' : grant ? 'break-glass' : 'care';
  const consentSummary = sharingWithheld
    ? 'Objects to sharing: only the organisation that recorded an entry can see it (unless emergency access is used).'
    : 'No objection to sharing recorded: organisations caring for this person see the joined-up record.';

  return {
    patient: {
      id: patient.id, name: personName(patient), nhsNumber, birthDate: patient.birthDate,
      age: ageOn(patient.birthDate, now), gender: patient.gender, address: addressText(patient.address) || undefined,
      contacts: contactsOf(patient.telecom), gp: gpId ? { id: gpId, name: dir.orgName(gpId) ?? 'GP practice' } : undefined,
      language, interpreterRequired,
    },
    access: grant ? { basis, breakGlass: { reason: grant.reasonCode, text: grant.reasonText, expiresAt: grant.expiresAt } } : { basis },
    // Filled by summary() once it knows which types the caller may see.
    notShown: { parts: {} },
    alerts,
    communicationNeeds,
    whatMatters,
    consent: { sharingWithheld, proxies, summary: consentSummary },
    withheld,
    careTeam,
    namedProfessional,
    problems,
    medications,
    allergies,
    carers,
    carePlans,
    referrals,
    organisations,
    timeline: { entries: [], filter: { count: TIMELINE_DEFAULT_COUNT } },
  };
}

function presentTimeline(rows: TimelineRow[], next: string | undefined, f: ParsedFilter, dir: Directory, words: Words): TimelinePage {
  const entries = rows.map((row): TimelineEntry => {
    const r = JSON.parse(row.content) as Any;
    const kind = KIND_OF.get(row.resource_type) ?? 'contact';
    const e: TimelineEntry = {
      type: row.resource_type, id: row.id, kind, kindLabel: TIMELINE_KINDS[kind].label, title: timelineTitle(r, words),
      ...(row.at ? { date: row.at } : {}),
      ...(row.org_id ? { organisation: { id: row.org_id, name: dir.orgName(row.org_id) ?? row.org_id } } : {}),
    };
    const detail = timelineDetail(r, dir, words);
    if (detail) e.detail = detail;
    if (typeof r.status === 'string') {
      e.status = r.status;
      e.statusText = statusText(r.status, r.resourceType);
    }
    return e;
  });
  return {
    entries, ...(next ? { next } : {}),
    filter: { count: f.count, ...(f.kind ? { kind: f.kind } : {}), ...(f.organisation ? { organisation: f.organisation } : {}), ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) },
  };
}

function timelineTitle(r: Any, words: Words): string {
  switch (r.resourceType) {
    case 'Encounter': return conceptsText(r.type?.slice(0, 1)) || conceptText(r.serviceType) || r.class?.display || 'Contact';
    case 'EpisodeOfCare': return `${conceptsText(r.type) || 'Episode of care'}${r.status === 'active' ? ' (ongoing)' : ''}`;
    case 'ServiceRequest': return conceptText(r.code) || 'Referral';
    case 'Condition': return `Diagnosis: ${conceptText(r.code, words) || 'unnamed'}`;
    case 'Observation': return conceptText(r.code, words) || 'Observation';
    case 'MedicationRequest': case 'MedicationStatement': return `Medicine: ${conceptText(r.medicationCodeableConcept) || r.medicationReference?.display || 'unnamed'}`;
    case 'QuestionnaireResponse': return 'Questionnaire answered';
    case 'CarePlan': return r.title || 'Care plan';
    case 'Appointment': return r.description || conceptsText(r.serviceType) || 'Appointment';
    case 'Task': {
      const kind = r.code?.coding?.find((c: Any) => c?.system === TASK_KIND_SYSTEM)?.code as keyof typeof TASK_KINDS | undefined;
      return taskHeadline((kind && TASK_KINDS[kind]) || conceptText(r.code) || 'Task', r.description);
    }
    default: return r.title || r.description || conceptText(r.type) || conceptText(r.code) || r.resourceType;
  }
}

/** An observation's value with readable units, and what it means when recorded: "0.19 (mild frailty)". */
export function observationValue(r: Any, words: Words = 'clinical'): string {
  const value = r.valueQuantity ? quantityText(r.valueQuantity)
    : r.valueCodeableConcept ? conceptText(r.valueCodeableConcept, words)
      : typeof r.valueString === 'string' ? r.valueString
        : typeof r.valueBoolean === 'boolean' ? (r.valueBoolean ? 'Yes' : 'No')
          : typeof r.valueInteger === 'number' ? String(r.valueInteger)
            : Array.isArray(r.component)
              ? r.component.map((c: Any) => `${conceptText(c.code, words)} ${quantityText(c.valueQuantity)}`.trim()).join(', ')
              : '';
  const meaning = conceptsText(r.interpretation, words);
  if (!value || !meaning) return value;
  return `${value} (${meaning[0].toLowerCase()}${meaning.slice(1)})`;
}

/** Each answered question as "question: answer", so an answer is never shown without what it answers. */
export function questionnaireAnswers(r: Any): string | undefined {
  const lines: string[] = [];
  const walk = (items: Any) => {
    for (const item of Array.isArray(items) ? items : []) {
      const answers = (Array.isArray(item?.answer) ? item.answer : []).map(answerText).filter(Boolean);
      if (answers.length) lines.push(typeof item.text === 'string' && item.text ? `${item.text.replace(/[?:]\s*$/, '')}: ${answers.join(', ')}` : answers.join(', '));
      walk(item?.item);
      for (const a of Array.isArray(item?.answer) ? item.answer : []) walk(a?.item);
    }
  };
  walk(r.item);
  return lines.length ? lines.join('. ') : undefined;
}

function answerText(a: Any): string {
  if (!a) return '';
  if (a.valueCoding) return a.valueCoding.display ?? a.valueCoding.code ?? '';
  if (typeof a.valueString === 'string') return a.valueString;
  if (typeof a.valueBoolean === 'boolean') return a.valueBoolean ? 'Yes' : 'No';
  if (typeof a.valueInteger === 'number' || typeof a.valueDecimal === 'number') return String(a.valueInteger ?? a.valueDecimal);
  if (typeof a.valueDate === 'string') return formatDate(a.valueDate);
  if (a.valueQuantity) return quantityText(a.valueQuantity);
  return '';
}

function timelineDetail(r: Any, dir: Directory, words: Words): string | undefined {
  switch (r.resourceType) {
    case 'Encounter': {
      const reason = conceptsText(r.reasonCode, words);
      const seen = (r.participant ?? []).map((p: Any) => dir.person(p.individual)).filter(Boolean).map((m: CareTeamMember) => m.role ? `${m.name} (${m.role})` : m.name);
      return [reason && `Reason: ${reason}`, seen.length ? `Seen by ${seen.join(', ')}` : '', r.length?.value !== undefined ? `${r.length.value} ${r.length.unit ?? 'days'}` : '']
        .filter(Boolean).join('. ') || undefined;
    }
    case 'ServiceRequest': {
      const to = (r.performer ?? []).map((p: Any) => dir.person(p)?.name).filter(Boolean).join(', ');
      return [to && `To ${to}`, r.status && `Status: ${statusText(r.status, r.resourceType)}`].filter(Boolean).join('. ') || undefined;
    }
    case 'EpisodeOfCare': return periodText(r.period) || undefined;
    case 'Task': {
      // Who did the work and what came of it: the owner and the outcome note, in the status's words.
      const owner = dir.person(r.owner)?.name ?? r.owner?.display;
      const byPerson = typeof r.owner?.reference === 'string' && r.owner.reference.startsWith('Practitioner/');
      const outcome = (r.output ?? []).find((o: Any) => o?.type?.coding?.some((c: Any) => c?.code === OUTCOME_NOTE.code && c?.system === OUTCOME_NOTE.system))?.valueString;
      const status = TASK_STATUS_TEXT[r.status as TaskStatus] ?? r.status;
      // "Completed by Ann Lee" when a person did it; "Requested, with Cooling Surgery" while it waits in a pool.
      const state = !status ? '' : !owner ? status : byPerson && DONE_BY_STATUSES.includes(r.status) ? `${status} by ${owner}` : `${status}, with ${owner}`;
      return [state, outcome && `Outcome: ${outcome}`, r.statusReason?.text && `Reason: ${r.statusReason.text}`].filter(Boolean).join('. ') || undefined;
    }
    case 'Observation': return observationValue(r, words) || undefined;
    case 'MedicationRequest': return (r.dosageInstruction ?? []).map((d: Any) => d.text).filter(Boolean).join('; ') || (r.status ? `Status: ${statusText(r.status, r.resourceType)}` : undefined);
    case 'QuestionnaireResponse': return questionnaireAnswers(r);
    default: return undefined;
  }
}
