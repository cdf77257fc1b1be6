import { describe, expect, it } from 'vitest';
import { isValidId, localReference, parseReference, referencedResource, RELATIVE_REFERENCE } from './reference.js';

describe('references', () => {
  it('ids are 1 to 64 of A-Z a-z 0-9 - .', () => {
    for (const ok of ['a', 'A-1.b', 'x'.repeat(64)]) expect(isValidId(ok), ok).toBe(true);
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a/b', 'a_b', '../x', 1]) expect(isValidId(bad), String(bad)).toBe(false);
  });

  it('parseReference reads relative, versioned and absolute references by their Type/id tail', () => {
    expect(parseReference('Patient/1')).toEqual({ type: 'Patient', id: '1' });
    expect(parseReference('Patient/1/_history/2')).toEqual({ type: 'Patient', id: '1', version: '2' });
    expect(parseReference('https://x.nhs.uk/fhir/Patient/1')).toEqual({ type: 'Patient', id: '1' });
    // The search index reads a long absolute reference too.
    expect(parseReference(`https://x/${'a/'.repeat(2000)}Patient/1`)).toEqual({ type: 'Patient', id: '1' });
    for (const bad of ['#c1', 'urn:uuid:1', 'patient/1', 'Patient/a b', 'Patient/1/_history/v 2', 'Patient?identifier=x', undefined, null]) {
      expect(parseReference(bad), String(bad)).toBeUndefined();
    }
  });

  it('localReference reads relative references only', () => {
    expect(localReference('Organization/o1')).toEqual({ type: 'Organization', id: 'o1' });
    expect(localReference('Organization/o1/_history/3')).toEqual({ type: 'Organization', id: 'o1', version: '3' });
    expect(localReference('https://x/Organization/o1')).toBeUndefined();
    expect(RELATIVE_REFERENCE.test('Organization/o1')).toBe(true);
    expect(RELATIVE_REFERENCE.test('/Organization/o1')).toBe(false);
  });

  it('referencedResource takes any version segment, and drops it', () => {
    expect(referencedResource('https://x/Patient/1/_history/v 2')).toEqual({ type: 'Patient', id: '1' });
    expect(referencedResource('Patient/1/_history/2')).toEqual({ type: 'Patient', id: '1' });
    expect(referencedResource('Patient/1/_history/2/3')).toBeUndefined();
  });
});
