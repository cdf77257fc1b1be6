import type { Principal, Scope } from '../principal.js';
import type { UserProfile } from './user.repository.js';

export interface CredentialInfo {
  via: 'session' | 'token';
  credentialId: string;
  /** Staff: the organisation acted for (must be one of their memberships). */
  organizationId?: string;
  scopes?: Scope[];
  /** SMART launch context. */
  patientId?: string;
}

/** Builds the Principal for a user and how they authenticated; undefined when it cannot be built (no such membership). */
export function principalFor(user: UserProfile, cred: CredentialInfo): Principal | undefined {
  const common = {
    id: user.id,
    displayName: user.displayName,
    via: cred.via,
    credentialId: cred.credentialId,
    ...(cred.scopes ? { scopes: cred.scopes } : {}),
  };
  if (user.kind === 'staff') {
    const m = cred.organizationId
      ? user.memberships.find((x) => x.organizationId === cred.organizationId)
      : user.memberships.length === 1 ? user.memberships[0] : undefined;
    if (!m) return undefined;
    return {
      ...common,
      kind: 'staff',
      role: m.role,
      organizationId: m.organizationId,
      organizationIds: user.memberships.map((x) => x.organizationId),
      ...(m.practitionerId ? { practitionerId: m.practitionerId } : {}),
      ...(cred.patientId ? { patientId: cred.patientId } : {}),
    };
  }
  if (user.kind === 'resident') {
    if (!user.patientId) return undefined;
    return { ...common, kind: 'resident', patientId: user.patientId };
  }
  // A proxy launched for one patient acts for that patient only.
  const links = cred.patientId ? user.proxyLinks.filter((l) => l.patientId === cred.patientId) : user.proxyLinks;
  if (links.length === 0) return undefined;
  return {
    ...common,
    kind: 'proxy',
    relatedPersonIds: links.map((l) => l.relatedPersonId),
    patientIds: [...new Set(links.map((l) => l.patientId))],
  };
}

/** The FHIR resource the user is (SMART fhirUser), when there is one. */
export function fhirUserOf(user: UserProfile, organizationId?: string): string | undefined {
  if (user.kind === 'resident' && user.patientId) return `Patient/${user.patientId}`;
  if (user.kind === 'proxy' && user.proxyLinks[0]) return `RelatedPerson/${user.proxyLinks[0].relatedPersonId}`;
  const m = user.memberships.find((x) => x.organizationId === organizationId) ?? user.memberships[0];
  return m?.practitionerId ? `Practitioner/${m.practitionerId}` : undefined;
}
