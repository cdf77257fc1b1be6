import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { isSupportedType, loadDefinitions } from './definitions.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from './nhs-number.js';
import { issue } from './outcome.js';

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** ODS organisation codes: 3 to 6 upper-case letters and digits (trusts RXX, practices A12345). */
const ODS_PATTERN = /^[A-Z0-9]{3,6}$/;
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const RELATIVE_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * Checks a resource against the base R4 StructureDefinitions and this platform's rules.
 * Returns the error issues; an empty list means the resource may be written.
 */
export function validate(resource: unknown): OperationOutcomeIssue[] {
  loadDefinitions();
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
    return [issue('structure', 'The body must be a JSON object holding a FHIR resource')];
  }
  const r = resource as Resource;
  if (typeof r.resourceType !== 'string') {
    return [issue('required', 'resourceType is missing', 'resourceType')];
  }
  if (!isSupportedType(r.resourceType)) {
    return [issue('not-supported', `Resource type "${r.resourceType}" is not supported`, 'resourceType')];
  }
  const issues: OperationOutcomeIssue[] = [];
  if (r.id !== undefined && (typeof r.id !== 'string' || !isValidId(r.id))) {
    issues.push(issue('value', 'id must be 1-64 characters of A-Z, a-z, 0-9, - and .', `${r.resourceType}.id`));
  }
  try {
    for (const i of validateResource(r)) if (i.severity === 'error' || i.severity === 'fatal') issues.push(i);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      for (const i of err.outcome.issue ?? []) if (i.severity === 'error' || i.severity === 'fatal') issues.push(i);
    } else {
      issues.push(issue('invalid', `The resource could not be validated: ${(err as Error).message}`));
    }
  }
  checkIdentifiers(r, issues);
  checkReferences(r, r.resourceType, issues);
  return issues;
}

function checkIdentifiers(r: Resource, issues: OperationOutcomeIssue[]): void {
  const identifiers = (r as { identifier?: unknown }).identifier;
  if (!Array.isArray(identifiers)) return;
  identifiers.forEach((id, i) => {
    if (!id || typeof id !== 'object' || typeof id.value !== 'string') return;
    const path = `${r.resourceType}.identifier[${i}].value`;
    if (id.system === NHS_NUMBER_SYSTEM && !isValidNhsNumber(id.value)) {
      issues.push(issue('value', `"${id.value}" is not a valid NHS number (10 digits with a Modulus 11 check digit)`, path));
    }
    if (id.system === ODS_SYSTEM && !ODS_PATTERN.test(id.value)) {
      issues.push(issue('value', `"${id.value}" is not a valid ODS organisation code`, path));
    }
  });
}

/** Reference.reference must be relative (Type/id), a urn:uuid:, a local #fragment or an absolute URL. */
function checkReferences(node: unknown, path: string, issues: OperationOutcomeIssue[]): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => checkReferences(v, `${path}[${i}]`, issues));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'contained') continue;
    if (key === 'reference' && typeof value === 'string') {
      if (!isWellFormedReference(value)) {
        issues.push(issue('value', `"${value}" is not a valid reference: use Type/id, urn:uuid:, #id or an absolute URL`, `${path}.reference`));
      }
    } else if (typeof value === 'object') {
      checkReferences(value, `${path}.${key}`, issues);
    }
  }
}

export function isWellFormedReference(ref: string): boolean {
  if (ref.startsWith('#')) return true;
  if (/^urn:(uuid|oid):\S+$/.test(ref)) return true;
  if (/^https?:\/\/\S+$/.test(ref)) return true;
  // Conditional references are resolved inside transactions before validation.
  if (/^[A-Z][A-Za-z]+\?\S*$/.test(ref)) return true;
  return RELATIVE_REF.test(ref);
}

export function parseRelativeReference(ref: string): { type: string; id: string } | undefined {
  const m = RELATIVE_REF.exec(ref);
  return m ? { type: m[1], id: m[2] } : undefined;
}
