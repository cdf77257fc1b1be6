import { describe, expect, it } from 'vitest';
import { CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, RESOURCE_TYPES_SYSTEM } from './policy-codes.js';
import { readConsents } from './consent.reading.js';

const NOW = new Date('2026-03-02T09:00:00Z');
const privacy = { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] };
const consent = (provision: object, o: { status?: string; scope?: object } = {}) => ({
  resourceType: 'Consent', status: o.status ?? 'active', scope: o.scope ?? privacy, patient: { reference: 'Patient/p1' }, provision,
});
const grant = (rp: string, types: string[], period?: object) =>
  consent({ type: 'permit', actor: [{ reference: { reference: `RelatedPerson/${rp}` } }], class: types.map((code) => ({ system: RESOURCE_TYPES_SYSTEM, code })), ...(period ? { period } : {}) });

describe('readConsents: the page reads consent as the policy does', () => {
  it('an active privacy deny naming no actor withholds sharing; one naming an actor, an inactive one or another scope does not', () => {
    expect(readConsents([consent({ type: 'deny' })], NOW).sharingWithheld).toBe(true);
    expect(readConsents([consent({ type: 'deny', actor: [{ reference: { reference: 'Organization/o' } }] })], NOW).sharingWithheld).toBe(false);
    expect(readConsents([consent({ type: 'deny' }, { status: 'inactive' })], NOW).sharingWithheld).toBe(false);
    // The code alone is not enough: the scope's system must be the privacy one (the page used to read the code only).
    expect(readConsents([consent({ type: 'deny' }, { scope: { coding: [{ system: 'urn:other', code: CONSENT_SCOPE_PRIVACY }] } })], NOW).sharingWithheld).toBe(false);
  });

  it('proxy grants in force now, with their types; a grant whose period has ended or not begun is not listed', () => {
    const r = readConsents([
      grant('carer', ['CarePlan', 'MedicationRequest']),
      grant('ended', ['CarePlan'], { start: '2025-01-01', end: '2026-01-01' }),
      grant('future', ['CarePlan'], { start: '2027-01-01' }),
      grant('current', [], { start: '2026-01-01', end: '2026-12-31' }),
    ], NOW);
    expect(r.proxyGrants).toEqual([
      { relatedPersonId: 'carer', types: ['CarePlan', 'MedicationRequest'] },
      { relatedPersonId: 'current', types: null },
    ]);
  });
});
