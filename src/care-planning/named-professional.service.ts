import type { EpisodeOfCare } from '@medplum/fhirtypes';
import { can } from '../access/policy/policy.js';
import { accessContext, stamp } from '../access/policy/record-access.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import { VisibilityRepository } from '../access/policy/visibility.repository.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { badRequest, conflict, forbidden, notFound } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { CARE_COORDINATION_TYPE, HANDOVER_FROM, isCareCoordination } from './care-planning.vocabulary.js';
import { lockPerson, namedProfessionalRule } from './care-planning.write-rules.js';
import { PlanRepository } from './plan.repository.js';
import { nameOf } from './plan.service.js';
import { nameUnnamed } from '../workflow/reference-names.js';

export interface NamedProfessional {
  episodeId: string;
  versionId: number;
  manager: { reference: string; name: string };
  organisation?: string;
  since?: string;
}

export interface Handover extends NamedProfessional {
  fromEpisodeId: string;
}

/**
 * The person's named professional (their care coordinator): the careManager of their one active
 * EpisodeOfCare of type care-coordination. Named once; changed only by handover: the current one (or
 * a colleague caring for the person) proposes a successor (a planned episode pointing at the active
 * one), the successor accepts, and only then, in one transaction, is the predecessor's episode
 * finished and the successor's made active. So the person always has exactly one, and the write
 * rule (namedProfessionalRule) refuses a second active one on the FHIR API too.
 */
export class NamedProfessionalService {
  private readonly visibility = new VisibilityRepository();
  private readonly repo = new PlanRepository();

  constructor(private readonly resources: ResourceService, private readonly clock: Clock) {}

  /** The active named professional and any handover waiting for its successor, as the caller may see them. */
  async of(p: Principal, patientId: string): Promise<{ current?: NamedProfessional; pending?: Handover }> {
    const now = this.clock.now();
    const episodes = await this.episodes(p, patientId, now);
    const current = episodes.find((e) => e.e.status === 'active');
    const pending = episodes.find((e) => e.e.status === 'planned' && e.e.extension?.some((x) => x.url === HANDOVER_FROM));
    const out = {
      ...(current ? { current: this.view(current.e, current.versionId) } : {}),
      ...(pending ? { pending: { ...this.view(pending.e, pending.versionId), fromEpisodeId: localReference(pending.e.extension!.find((x) => x.url === HANDOVER_FROM)!.valueReference?.reference)?.id ?? '' } } : {}),
    };
    // A careManager written without a display (a partner's, the synthetic population's) is named
    // from the record: a page said "Named professional: Practitioner/prac-01612".
    await nameUnnamed(this.resources.db, p, now, [out.current?.manager, out.pending?.manager].filter((m): m is NamedProfessional['manager'] => !!m));
    return out;
  }

  /** Names the person's named professional when they have none. */
  async assign(p: Principal, patientId: string, practitioner: string): Promise<NamedProfessional> {
    const now = this.clock.now();
    await this.decide(p, 'named-professional.assign', patientId, now);
    const who = await this.practitioner(practitioner);
    const ctx = { baseUrl: '', ...accessContext(p, now) };
    const id = await this.resources.db.transaction(async (tx) => {
      await lockPerson(tx, 'named-professional', patientId);
      const episode: EpisodeOfCare = {
        resourceType: 'EpisodeOfCare', status: 'active', type: [CARE_COORDINATION_TYPE], patient: { reference: `Patient/${patientId}` },
        careManager: { reference: who.reference, display: who.name }, ...(who.org ? { managingOrganization: { reference: `Organization/${who.org}` } } : {}),
        period: { start: now.toISOString() },
      };
      return (await this.resources.create('EpisodeOfCare', episode, { tx, ctx })).id;
    });
    return (await this.of(p, patientId)).current ?? { episodeId: id, versionId: 1, manager: who };
  }

  /** Proposes a successor: a planned episode naming them, waiting for them to accept. */
  async proposeHandover(p: Principal, patientId: string, practitioner: string): Promise<Handover> {
    const now = this.clock.now();
    await this.decide(p, 'named-professional.assign', patientId, now);
    const who = await this.practitioner(practitioner);
    const ctx = { baseUrl: '', ...accessContext(p, now) };
    await this.resources.db.transaction(async (tx) => {
      await lockPerson(tx, 'named-professional', patientId);
      const { current, pending } = await this.of(p, patientId);
      if (!current) throw conflict('This person has no named professional yet: name one instead', );
      if (pending) throw conflict(`A handover to ${pending.manager.name} is already waiting for them to accept`);
      if (current.manager.reference === who.reference) throw badRequest(`${who.name} is already the named professional`, 'successor');
      const episode: EpisodeOfCare = {
        resourceType: 'EpisodeOfCare', status: 'planned', type: [CARE_COORDINATION_TYPE], patient: { reference: `Patient/${patientId}` },
        careManager: { reference: who.reference, display: who.name }, ...(who.org ? { managingOrganization: { reference: `Organization/${who.org}` } } : {}),
        extension: [{ url: HANDOVER_FROM, valueReference: { reference: `EpisodeOfCare/${current.episodeId}` } }],
      };
      await this.resources.create('EpisodeOfCare', episode, { tx, ctx });
    });
    return (await this.of(p, patientId)).pending!;
  }

  /**
   * The successor accepts: in one transaction under the person's lock, the predecessor's episode is
   * finished and the successor's made active (never two at once, never none).
   */
  async acceptHandover(p: Principal, patientId: string): Promise<NamedProfessional> {
    const now = this.clock.now();
    const { pending } = await this.of(p, patientId);
    if (!pending) throw notFound('There is no handover waiting for this person');
    const d = can(p, 'named-professional.accept', { successor: pending.manager.reference });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    await this.resources.db.transaction(async (tx) => {
      await lockPerson(tx, 'named-professional', patientId);
      const read = async (id: string) => {
        const row = await this.resources.repo.readCurrent(tx, 'EpisodeOfCare', id);
        if (!row || row.deleted || !row.content) throw conflict('The handover changed while you were accepting it; reload and try again');
        return { e: JSON.parse(row.content) as EpisodeOfCare, v: Number(row.version_id) };
      };
      const next = await read(pending.episodeId);
      if (next.e.status !== 'planned') throw conflict('This handover has already been dealt with');
      const prev = await read(pending.fromEpisodeId);
      const at = now.toISOString();
      // The successor's organisation did not record these episodes: the handover verb decided, and
      // the record's rule is checked here as on the API, then both are written in this transaction.
      const finished = stamp(p, { ...prev.e, status: 'finished', period: { ...prev.e.period, end: at } } as EpisodeOfCare, prev.e) as EpisodeOfCare;
      await this.resources.update('EpisodeOfCare', prev.e.id!, finished, { tx, ifMatch: prev.v });
      const active = stamp(p, { ...next.e, status: 'active', period: { start: at } } as EpisodeOfCare, next.e) as EpisodeOfCare;
      await namedProfessionalRule.check({ action: 'update', type: 'EpisodeOfCare', resource: active, current: next.e }, tx);
      await this.resources.update('EpisodeOfCare', next.e.id!, active, { tx, ifMatch: next.v });
    });
    return (await this.of(p, patientId)).current!;
  }

  private async decide(p: Principal, verb: 'named-professional.assign', patientId: string, now: Date): Promise<void> {
    if (!isValidId(patientId)) throw notFound('There is no person at this address');
    const seen = await this.visibility.visiblePatients(this.resources.db, restrictionFor(p, now), [patientId]);
    if (!seen.has(patientId)) throw notFound('There is no person at this address');
    const d = can(p, verb, { careRelationship: true });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  private async episodes(p: Principal, patientId: string, now: Date): Promise<{ e: EpisodeOfCare; versionId: number }[]> {
    const res = await this.resources.db.query<{ id: string }>(
      `SELECT r.id FROM resource r WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'EpisodeOfCare' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = $1)
        AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'EpisodeOfCare' AND t.code = 'status' AND t.value IN ('active', 'planned'))`,
      [patientId],
    );
    const seen = await this.repo.visible(this.resources.db, restrictionFor(p, now), 'EpisodeOfCare', res.rows.map((r) => r.id));
    return [...seen.values()].map((r) => ({ e: JSON.parse(r.content) as EpisodeOfCare, versionId: r.versionId })).filter((x) => isCareCoordination(x.e));
  }

  private view(e: EpisodeOfCare, versionId: number): NamedProfessional {
    return {
      episodeId: e.id!, versionId, manager: { reference: e.careManager?.reference ?? '', name: e.careManager?.display ?? e.careManager?.reference ?? 'Not recorded' },
      ...(e.managingOrganization?.reference ? { organisation: e.managingOrganization.reference } : {}), ...(e.period?.start ? { since: e.period.start } : {}),
    };
  }

  /** A Practitioner in the directory, with the organisation of their first role. */
  private async practitioner(ref: string): Promise<{ reference: string; name: string; org?: string }> {
    const k = localReference(typeof ref === 'string' ? ref.trim() : undefined);
    if (k?.type !== 'Practitioner' || k.version) throw badRequest('Choose a professional (Practitioner/id)', 'successor');
    const row = await this.resources.repo.readCurrent(this.resources.db, 'Practitioner', k.id);
    if (!row || row.deleted || !row.content) throw badRequest(`Practitioner/${k.id} is not known`, 'successor');
    const role = await this.resources.db.query<{ content: string }>(
      `SELECT r.content FROM resource r WHERE r.resource_type = 'PractitionerRole' AND NOT r.deleted
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'PractitionerRole' AND x.code = 'practitioner' AND x.target_type = 'Practitioner' AND x.target_id = $1)
        ORDER BY r.rid LIMIT 1`,
      [k.id],
    );
    const org = role.rows[0] ? localReference(JSON.parse(role.rows[0].content).organization?.reference) : undefined;
    return { reference: `Practitioner/${k.id}`, name: nameOf(JSON.parse(row.content)) || `Practitioner/${k.id}`, ...(org?.type === 'Organization' ? { org: org.id } : {}) };
  }
}
