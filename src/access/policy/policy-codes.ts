/**
 * The code systems and codes the access policy reads from resources. These are the conventions every
 * writer must follow (docs/access-policy.md describes them for integrators).
 */
import type { Coding } from '@medplum/fhirtypes';

const BASE = 'https://onestory.example/fhir';

/**
 * The organisation that recorded a resource: a `meta.tag` with this system and the recording
 * Organization's id as the code, set on every write from the writer's principal (staff: the acting
 * organisation; system client: its organisation). Exactly one; the write path replaces any the client sent.
 * Searchable as `_tag=<system>|<org id>`, and read by the row restriction from the `_tag` index.
 */
export const RECORDED_BY_SYSTEM = `${BASE}/CodeSystem/recorded-by-organization`;

/** OneStory's own security labels (meta.security), for what HL7 has no code. */
export const ONESTORY_LABEL_SYSTEM = `${BASE}/CodeSystem/security-label`;
export const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

/** Entries the person themselves (and their proxies) must not see, e.g. third-party information. */
export const WITHHELD_FROM_PATIENT = { system: ONESTORY_LABEL_SYSTEM, code: 'withheld-from-patient' } as const;

/** Consent.scope of the consents the policy acts on (sharing objections and proxy grants). */
export const CONSENT_SCOPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentscope';
export const CONSENT_SCOPE_PRIVACY = 'patient-privacy';
/** Consent.provision.class system naming the resource types a proxy grant covers. */
export const RESOURCE_TYPES_SYSTEM = 'http://hl7.org/fhir/resource-types';

interface Tagged {
  meta?: { tag?: Coding[] };
}

/** A resource's recorded-by tags as written, a tag without a code included (the create check refuses those). */
export const recordedByTags = (resource: Tagged | undefined): Coding[] => (resource?.meta?.tag ?? []).filter((t) => t?.system === RECORDED_BY_SYSTEM);

/** The organisations a resource's recorded-by tags name (one, as the write path stamps it). */
export const recordedByOf = (resource: Tagged | undefined): string[] => recordedByTags(resource).flatMap((t) => (t.code ? [t.code] : []));

/** `meta.tag` value for a resource's recording organisation, as the integration sets it. */
export function recordedByTag(organizationId: string): { system: string; code: string } {
  return { system: RECORDED_BY_SYSTEM, code: organizationId };
}
