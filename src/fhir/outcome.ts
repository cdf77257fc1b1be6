import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * An error that becomes an HTTP status and an OperationOutcome. Everything a client can cause is
 * thrown as one of these; anything else reaching the HTTP layer is a bug and answers 500.
 */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') || `HTTP ${status}`);
  }
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function issue(
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression?: string | string[],
  severity: OperationOutcomeIssue['severity'] = 'error',
): OperationOutcomeIssue {
  const i: OperationOutcomeIssue = { severity, code, diagnostics, details: { text: diagnostics } };
  if (expression) i.expression = Array.isArray(expression) ? expression : [expression];
  return i;
}

export const informational = (text: string): OperationOutcome =>
  outcome([issue('informational', text, undefined, 'information')]);

export const badRequest = (text: string, expression?: string | string[]) =>
  new FhirError(400, outcome([issue('invalid', text, expression)]));
export const invalidResource = (issues: OperationOutcomeIssue[]) => new FhirError(422, outcome(issues));
export const notFound = (text = 'Not found') => new FhirError(404, outcome([issue('not-found', text)]));
export const gone = (text: string) => new FhirError(410, outcome([issue('deleted', text)]));
export const conflict = (text: string) => new FhirError(409, outcome([issue('conflict', text)]));
export const preconditionFailed = (text: string) => new FhirError(412, outcome([issue('conflict', text)]));
export const notSupported = (text: string, expression?: string) =>
  new FhirError(400, outcome([issue('not-supported', text, expression)]));
export const tooCostly = (text: string) => new FhirError(400, outcome([issue('too-costly', text)]));
export const forbidden = (text: string) => new FhirError(403, outcome([issue('forbidden', text)]));
