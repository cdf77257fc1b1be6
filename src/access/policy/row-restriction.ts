import type { Params, RowRestriction } from '../../fhir/search.repository.js';
import type { Principal } from '../principal.js';
import { launchPatient, readableTypes, roleRule } from './policy.js';
import { RECORDED_BY_SYSTEM } from './policy-codes.js';
import { AUDIT_TYPE, compartmentLinks, directoryTypes } from './resource-classes.js';
import { LABELS_DENIED_TO_PROXY, LABELS_DENIED_TO_RESIDENT, labelsDeniedTo } from './security-labels.js';

/** Types a sharing objection does not hide: the person's identity and the objection itself (the marker). */
export const OBJECTION_EXEMPT_TYPES = ['Patient', 'Consent'];

/**
 * The SQL condition that hides from a principal every row it may not see, on any alias of
 * `resource`. Search, count, _include, _revinclude, chains, _has and $everything all apply it, so
 * hidden rows are never returned, counted or hinted at. `now` decides break-glass and proxy grant
 * expiry (passed in, never read from the clock here).
 *
 * Staff and system clients, for a row of a person's record:
 *   visible = recorded by my organisation
 *          OR (no label denied to my role
 *              AND the row links to at least one Patient
 *              AND every Patient it links to is ok)
 *   ok(patient) = active break-glass grant of mine for the patient
 *              OR (one of my parties has a care relationship with the patient
 *                  AND (no sharing objection OR the row is the Patient or a Consent))
 * Residents: rows linking only to themselves, not labelled withheld-from-patient.
 * Proxies: rows linking only to patients whose Consent currently grants this proxy that type,
 * with no sensitive or withheld label.
 */
export function restrictionFor(p: Principal, now: Date): RowRestriction {
  const readable = readableTypes(p);
  const readableSet = setOf(readable);
  const directory = directoryTypes();
  const directorySet = setOf(directory);
  const auditAll = p.kind === 'staff' && roleRule(p.role).readAudit;
  const nowIso = now.toISOString();

  return (a: string, type: string, params: Params): string | undefined => {
    const rules = new RowRules(p, nowIso, a, params);
    if (type) {
      if (!readableSet.has(type)) return 'false';
      if (directorySet.has(type)) return undefined;
      if (type === AUDIT_TYPE && auditAll) return undefined;
      return type === 'Patient' ? rules.patientRow() : rules.recordRow(type);
    }
    // The type varies (_include, $everything): the same rules chosen per row.
    return `(${a}.resource_type = ANY(${params.add(readable, 'text[]')}) AND CASE
      WHEN ${a}.resource_type = ANY(${params.add(directory, 'text[]')}) THEN true
      ${auditAll ? `WHEN ${a}.resource_type = '${AUDIT_TYPE}' THEN true` : ''}
      WHEN ${a}.resource_type = 'Patient' THEN ${rules.patientRow()}
      ELSE ${rules.recordRow(undefined)} END)`;
  };
}

const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** A Set of a list of types; the shared lists (per role, the directory) get theirs once, not per request. */
function setOf(types: readonly string[]): ReadonlySet<string> {
  let s = sets.get(types);
  if (!s) {
    s = new Set(types);
    if (Object.isFrozen(types)) sets.set(types, s);
  }
  return s;
}

/** Builds the pieces of one restriction for one alias; every value goes through `params`. */
class RowRules {
  /** `now`: the request's time as ISO text (break-glass and proxy grant expiry). */
  constructor(private readonly p: Principal, private readonly now: string, private readonly a: string, private readonly params: Params) {}

  private add(v: unknown, cast = '') {
    return this.params.add(v, cast);
  }

  /** The Patient row itself. */
  patientRow(): string {
    const { p, a } = this;
    switch (p.kind) {
      case 'resident':
        return `${a}.id = ${this.add(p.patientId)}`;
      case 'proxy':
        return this.proxyOk(`${a}.id`, undefined);
      default: {
        const inner = `(${this.labelsOk()} AND ${this.careOk(`${a}.id`, true)})`;
        return this.authoredOverride() ? `(${this.authored()} OR ${inner})` : inner;
      }
    }
  }

  /** A row of a compartment type (`type` undefined: the row's own type, for mixed-type queries). */
  recordRow(type: string | undefined): string {
    const { p, a } = this;
    const links = this.links(type);
    // "Links to at least one patient, and every linked patient is ok" in one probe: bool_and over
    // no rows is null, so `IS TRUE` also rejects rows that link to nobody.
    // An absolute reference (url set) names a patient on another server, not a person in this record.
    const allOk = (ok: string) => `(SELECT bool_and(${ok}) FROM sp_reference c WHERE c.rid = ${a}.rid AND c.target_type = 'Patient' AND c.url IS NULL AND ${links}) IS TRUE`;
    switch (p.kind) {
      case 'resident':
        return `(${this.labelsOk()} AND ${allOk(`c.target_id = ${this.add(p.patientId)}`)})`;
      case 'proxy':
        return `(${this.labelsOk()} AND ${allOk(this.proxyOk('c.target_id', type ? this.add(type) : `${a}.resource_type`))})`;
      default: {
        const exempt = type ? OBJECTION_EXEMPT_TYPES.includes(type) : `${a}.resource_type = ANY(${this.add(OBJECTION_EXEMPT_TYPES, 'text[]')})`;
        let inner = `(${this.labelsOk()} AND ${allOk(this.careOk('c.target_id', exempt))})`;
        if (p.kind === 'staff' && p.role === 'vcse-worker') inner = this.addressedOnly(type, inner);
        return this.authoredOverride() ? `(${this.authored()} OR ${inner})` : inner;
      }
    }
  }

  /** Which sp_reference rows (alias c) are compartment links of the row. */
  private links(type: string | undefined): string {
    const map = compartmentLinks();
    if (type) return `c.code = ANY(${this.add(map.get(type) ?? [], 'text[]')})`;
    const pairs = [...map].flatMap(([t, codes]) => codes.map((c) => `${t}.${c}`));
    return `(c.resource_type || '.' || c.code) = ANY(${this.add(pairs, 'text[]')})`;
  }

  /** A launch-patient token sees only that patient, even rows its organisation recorded. */
  private authoredOverride(): boolean {
    return (this.p.kind === 'staff' || this.p.kind === 'client') && launchPatient(this.p) === undefined;
  }

  private authored(): string {
    const org = this.p.kind === 'staff' || this.p.kind === 'client' ? this.p.organizationId : '';
    return `EXISTS (SELECT 1 FROM sp_token s WHERE s.rid = ${this.a}.rid AND s.code = '_tag' AND s.system = ${this.add(RECORDED_BY_SYSTEM)} AND s.value = ${this.add(org)})`;
  }

  private labelsOk(): string {
    const p = this.p;
    const denied = p.kind === 'resident' ? LABELS_DENIED_TO_RESIDENT : p.kind === 'proxy' ? LABELS_DENIED_TO_PROXY : labelsDeniedTo(p.kind === 'staff' ? p.role : undefined);
    if (denied.length === 0) return 'true';
    return `NOT EXISTS (SELECT 1 FROM sp_token s WHERE s.rid = ${this.a}.rid AND s.code = '_security' AND (s.system || '|' || s.value) = ANY(${this.add(denied, 'text[]')}))`;
  }

  /**
   * A VCSE worker sees, of a person's record, only the referrals (ServiceRequest.performer) and tasks
   * (Task.owner) addressed to their organisation, its services or themselves, besides what they
   * recorded: never the person's other referrals, to other services, nor anything else about them.
   */
  private addressedOnly(type: string | undefined, inner: string): string {
    const a = this.a;
    const addressed = `EXISTS (SELECT 1 FROM sp_reference x WHERE x.rid = ${a}.rid
      AND ((x.resource_type = 'ServiceRequest' AND x.code = 'performer') OR (x.resource_type = 'Task' AND x.code = 'owner'))
      AND (x.target_type || '/' || x.target_id) = ANY(${this.parties()}))`;
    if (type) return type === 'ServiceRequest' || type === 'Task' ? `(${inner} AND ${addressed})` : 'false';
    return `(${a}.resource_type IN ('ServiceRequest', 'Task') AND ${inner} AND ${addressed})`;
  }

  /** The parties the principal acts as: their organisation, their Practitioner, and the organisation's services (HealthcareService.providedBy). */
  private parties(): string {
    const p = this.p;
    if (p.kind !== 'staff' && p.kind !== 'client') return `ARRAY[]::text[]`;
    const org = p.organizationId;
    const own = [`Organization/${org}`, ...(p.kind === 'staff' && p.practitionerId ? [`Practitioner/${p.practitionerId}`] : [])];
    // An InitPlan, run once per query.
    return `(${this.add(own, 'text[]')} || ARRAY(SELECT 'HealthcareService/' || h.id FROM sp_reference hs JOIN resource h ON h.rid = hs.rid AND NOT h.deleted
      WHERE hs.resource_type = 'HealthcareService' AND hs.code = 'organization' AND hs.target_type = 'Organization' AND hs.target_id = ${this.add(org)}))`;
  }

  /** Staff/client: break-glass, or a care relationship not overridden by an objection. */
  private careOk(pid: string, exempt: boolean | string): string {
    const p = this.p;
    if (p.kind !== 'staff' && p.kind !== 'client') return 'false';
    // The organisation's services (HealthcareService.providedBy) are its parties too.
    const related = `EXISTS (SELECT 1 FROM care_relationship cr WHERE cr.patient_id = ${pid} AND cr.party = ANY(${this.parties()}))`;
    const objection = exempt === true ? 'true' : `(${exempt === false ? 'false' : exempt} OR NOT EXISTS (SELECT 1 FROM sharing_objection so WHERE so.patient_id = ${pid}))`;
    let glass = 'false';
    if (p.kind === 'staff') {
      const now = this.add(this.now, 'timestamptz');
      glass = `EXISTS (SELECT 1 FROM break_glass g WHERE g.patient_id = ${pid} AND g.user_id = ${this.add(p.id)} AND g.granted_at <= ${now} AND g.expires_at > ${now})`;
    }
    const launch = launchPatient(p);
    const cond = `(${glass} OR (${related} AND ${objection}))`;
    return launch ? `(${pid} = ${this.add(launch)} AND ${cond})` : cond;
  }

  /** Proxy: the patient is one they act for, and a current Consent grants them this type (any type for the Patient row). */
  private proxyOk(pid: string, typeExpr: string | undefined): string {
    const p = this.p;
    if (p.kind !== 'proxy') return 'false';
    const now = this.add(this.now, 'timestamptz');
    return `(${pid} = ANY(${this.add(p.patientIds, 'text[]')}) AND EXISTS (SELECT 1 FROM proxy_grant g WHERE g.patient_id = ${pid}
      AND g.related_person_id = ANY(${this.add(p.relatedPersonIds, 'text[]')})
      ${typeExpr ? `AND (g.resource_type IS NULL OR g.resource_type = ${typeExpr})` : ''}
      AND (g.period_start IS NULL OR g.period_start <= ${now}) AND (g.period_end IS NULL OR g.period_end > ${now})))`;
  }
}
