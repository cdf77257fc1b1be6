import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { badRequest, FhirError, notFound, outcome, issue } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import type { Principal } from '../principal.js';
import { can } from './policy.js';
import { BreakGlassRepository, type BreakGlassGrant } from './break-glass.repository.js';

/** The fixed reasons a user may give for break-glass access (free text must accompany each). */
export const BREAK_GLASS_REASONS = {
  'direct-care-emergency': 'Emergency: direct care cannot wait for a referral or registration',
  'patient-unable-to-consent': 'The person cannot consent (e.g. unconscious, lacks capacity) and care is needed',
  'safeguarding-concern': 'Safeguarding concern about the person or someone at risk from them',
  'unscheduled-care': 'Unscheduled care (walk-in, out of hours) before a relationship is recorded',
  'public-health-risk': 'Serious risk to public health (e.g. notifiable disease)',
} as const;
export type BreakGlassReason = keyof typeof BREAK_GLASS_REASONS;

/** How long a grant lasts. */
export const BREAK_GLASS_HOURS = 4;
const MIN_TEXT = 10;

const forbidden = (msg: string) => new FhirError(403, outcome([issue('forbidden', msg)]));

/**
 * Break-glass: a clinical user asserts a relationship they cannot otherwise show. The grant feeds
 * the row restriction (table break_glass) for BREAK_GLASS_HOURS, is listed for privacy officers
 * until reviewed, and is shown to the person. The audit engineer records the AuditEvent.
 */
export class BreakGlassService {
  private readonly repo = new BreakGlassRepository();

  constructor(private readonly db: Queryable) {}

  async breakGlass(p: Principal, patientId: string, reasonCode: string, text: string, now: Date): Promise<BreakGlassGrant> {
    const may = can(p, 'breakglass.request');
    if (!may.allowed || p.kind !== 'staff') throw forbidden(may.reason);
    // Own keys only: `in` would also accept inherited names such as "toString".
    if (typeof reasonCode !== 'string' || !Object.hasOwn(BREAK_GLASS_REASONS, reasonCode)) {
      throw badRequest(`Break-glass reason must be one of: ${Object.keys(BREAK_GLASS_REASONS).join(', ')}`, 'reason');
    }
    // PostgreSQL text cannot hold U+0000: a statement carrying one is refused here, not by the database.
    const reasonText = (text ?? '').replaceAll(String.fromCharCode(0), '').trim();
    if (reasonText.length < MIN_TEXT) throw badRequest(`Break-glass needs an explanation of at least ${MIN_TEXT} characters`, 'text');
    if (reasonText.length > 2000) throw badRequest('Break-glass explanation is limited to 2000 characters', 'text');
    if (!isValidId(patientId) || !(await this.repo.patientExists(this.db, patientId))) throw notFound(`Patient/${patientId} is not known`);
    const grant: BreakGlassGrant = {
      id: randomUUID(), userId: p.id, userName: p.displayName, role: p.role, organizationId: p.organizationId, patientId,
      reasonCode, reasonText, grantedAt: now.toISOString(), expiresAt: new Date(now.getTime() + BREAK_GLASS_HOURS * 3600_000).toISOString(),
    };
    await this.repo.insert(this.db, grant);
    return grant;
  }

  /** The user's grant for a patient in force at `now`, if any. */
  activeGrant(p: Principal, patientId: string, now: Date): Promise<BreakGlassGrant | undefined> {
    return this.repo.active(this.db, p.id, patientId, now.toISOString());
  }

  /** Grants privacy officers have not reviewed yet, oldest first. */
  async listBreakGlassForReview(p: Principal, limit = 100): Promise<(BreakGlassGrant & { person: { name?: unknown; identifier?: unknown } | undefined })[]> {
    const may = can(p, 'breakglass.review');
    if (!may.allowed) throw forbidden(may.reason);
    const grants = await this.repo.unreviewed(this.db, limit);
    // The reviewer must know whose record was opened (name and NHS number, not an id): reviewing
    // emergency access is the privacy officer's purpose, and the review itself is audited with them.
    const people = await this.repo.people(this.db, [...new Set(grants.map((g) => g.patientId))]);
    return grants.map((g) => ({ ...g, person: people.get(g.patientId) }));
  }

  async review(p: Principal, id: string, note: string, now: Date): Promise<void> {
    const may = can(p, 'breakglass.review');
    if (!may.allowed) throw forbidden(may.reason);
    const clean = note.replaceAll(String.fromCharCode(0), '');
    if (id.length > 64 || !(await this.repo.review(this.db, id, p.id, clean, now.toISOString()))) throw notFound('No unreviewed break-glass grant with that id');
  }

  /** The person's view: every break-glass access to their record (who, role, organisation, when, why). */
  async forPerson(p: Principal, patientId: string): Promise<BreakGlassGrant[]> {
    // The person's own access log, or a privacy officer reviewing emergency access.
    const own = can(p, 'accesslog.read', { patientId }).allowed || can(p, 'breakglass.review').allowed;
    if (!own) throw notFound(`Patient/${patientId} is not known`);
    return this.repo.forPatient(this.db, patientId);
  }
}
