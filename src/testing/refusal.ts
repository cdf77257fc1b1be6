import { FhirError } from '../fhir/outcome.js';

/** The FhirError a command refused with (a test fails if it did not refuse, or failed some other way). */
export async function refusal(p: Promise<unknown>): Promise<FhirError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FhirError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}
