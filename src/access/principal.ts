/**
 * Who is making a request, as every part of the access layer sees it. Identity (src/access/identity)
 * produces it from a session cookie or a bearer token; policy (src/access/policy) decides with it;
 * audit (src/access/audit) records it.
 */

/** Staff roles, modelled on NHS national RBAC job roles. */
export const STAFF_ROLES = [
  'gp',
  'practice-nurse',
  'community-nurse',
  'social-worker',
  'mental-health-practitioner',
  'discharge-coordinator',
  'care-coordinator',
  'link-worker', // social prescribing link worker
  // A worker of a voluntary, community or social enterprise (VCSE) organisation: sees the referrals
  // sent to its services and, per the person's consent, only what each referral shares.
  'vcse-worker',
  'receptionist', // receptionist / admin
  'icb-analyst',
  'privacy-officer',
  'system-admin',
  // Manages the staff accounts and API clients of one organisation (the one they act for), nothing else.
  'local-admin',
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const ROLE_NAMES: Record<StaffRole, string> = {
  gp: 'GP',
  'practice-nurse': 'Practice nurse',
  'community-nurse': 'Community nurse',
  'social-worker': 'Social worker',
  'mental-health-practitioner': 'Mental health practitioner',
  'discharge-coordinator': 'Discharge coordinator',
  'care-coordinator': 'Care coordinator',
  'link-worker': 'Social prescribing link worker',
  'vcse-worker': 'Voluntary sector worker (VCSE)',
  receptionist: 'Receptionist / admin',
  'icb-analyst': 'ICB analyst',
  'privacy-officer': 'Privacy officer',
  'system-admin': 'System administrator',
  'local-admin': 'Local administrator',
};

/** A SMART scope, parsed: `patient/Observation.rs`, `user/*.cruds`, `system/Patient.read` (v1 and v2 forms). */
export interface Scope {
  context: 'patient' | 'user' | 'system';
  /** A resource type or '*'. */
  resourceType: string;
  /** SMART v2 letters: c create, r read, u update, d delete, s search. v1 `read` = rs, `write` = cud, `*` = cruds. */
  interactions: Set<'c' | 'r' | 'u' | 'd' | 's'>;
}

export type Principal = StaffPrincipal | ResidentPrincipal | ProxyPrincipal | ClientPrincipal;

interface Common {
  /** app_user.id for people, the client id for system clients. */
  id: string;
  displayName: string;
  /** Present when the request came with an OAuth token: what the token allows. Sessions have no scopes (full user rights). */
  scopes?: Scope[];
  /** How the caller authenticated, for the audit trail. */
  via: 'session' | 'token';
  /** The session or token id (jti), for the audit trail; never the secret itself. */
  credentialId: string;
}

export interface StaffPrincipal extends Common {
  kind: 'staff';
  role: StaffRole;
  /** FHIR Organization id the user acts for in this session (staff may belong to several; one is chosen). */
  organizationId: string;
  /** Every Organization id the user belongs to. */
  organizationIds: string[];
  /** FHIR Practitioner id, when the user is a practitioner. */
  practitionerId?: string;
  /** SMART launch context (patient/ scopes): the one patient this token is for. */
  patientId?: string;
}

export interface ResidentPrincipal extends Common {
  kind: 'resident';
  /** The resident's own Patient id. */
  patientId: string;
}

export interface ProxyPrincipal extends Common {
  kind: 'proxy';
  /** The carer's RelatedPerson id(s); each links to the Patient they may act for, as that Patient's Consent allows. */
  relatedPersonIds: string[];
  /** The Patient ids this proxy may act for (derived from RelatedPerson.patient, then narrowed by Consent). */
  patientIds: string[];
}

export interface ClientPrincipal extends Common {
  kind: 'client';
  /** The FHIR Organization id the system integration is tied to. */
  organizationId: string;
}

export function isStaff(p: Principal | undefined): p is StaffPrincipal {
  return p?.kind === 'staff';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking: set by identity (src/access/identity) before the route runs; undefined when anonymous. */
    principal?: Principal;
  }
}
