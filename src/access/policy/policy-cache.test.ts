import { describe, expect, it } from 'vitest';
import type { Observation, Patient } from '@medplum/fhirtypes';
import { extractIndex } from '../../fhir/search-index.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../identity/scope.parser.js';
import { RECORDED_BY_SYSTEM } from './policy-codes.js';
import { can, linkedPatients, readableTypes, roleRule } from './policy.js';
import { directoryTypes, recordTypes } from './resource-classes.js';

/**
 * What every signed-in request asks the policy (the types a role reads, can() for the interaction, a
 * write's linked patients) is worked out once per role rather than per request. These check that the
 * shared answers cannot be changed by a caller and are never handed to a principal they do not fit.
 */
const gp: Principal = {
  kind: 'staff', id: 'u-gp', displayName: 'GP', via: 'session', credentialId: 's1', role: 'gp', organizationId: 'org-a', organizationIds: ['org-a'],
};
const receptionist: Principal = { ...gp, id: 'u-rec', role: 'receptionist' };

describe('the policy answers kept per role', () => {
  it('are shared lists that a caller cannot change', () => {
    expect(directoryTypes()).toBe(directoryTypes());
    expect(recordTypes()).toBe(recordTypes());
    expect(readableTypes(gp)).toBe(readableTypes({ ...gp, id: 'another-gp' }));
    expect(() => (directoryTypes() as string[]).push('Nonsense')).toThrow(TypeError);
    expect(() => (roleRule('gp').readRecord as string[]).push('Nonsense')).toThrow(TypeError);
    expect(() => (readableTypes(gp) as string[]).pop()).toThrow(TypeError);
    expect(() => Object.assign(can(gp, 'read', 'Patient'), { allowed: false })).toThrow(TypeError);
    expect(directoryTypes()).not.toContain('Nonsense');
  });

  it('follow the role: a receptionist of the same organisation is still refused clinical content', () => {
    expect(can(gp, 'read', 'Observation').allowed).toBe(true);
    expect(can(receptionist, 'read', 'Observation').allowed).toBe(false);
    expect(can(gp, 'read', 'Observation').allowed).toBe(true);
    expect(readableTypes(receptionist)).not.toContain('Observation');
    expect(readableTypes(gp)).toContain('Observation');
  });

  it('are never given to a token of the same role: its scopes narrow it', () => {
    const token: Principal = { ...gp, via: 'token', scopes: [parseScope('user/Patient.rs')] };
    // The session answer first, so a cache keyed on the role alone would hand it to the token.
    expect(can(gp, 'read', 'Observation').allowed).toBe(true);
    expect(can(token, 'read', 'Observation').allowed).toBe(false);
    expect(can(token, 'read', 'Patient').allowed).toBe(true);
    expect(readableTypes(token)).toContain('Patient');
    expect(readableTypes(token)).not.toContain('Observation');
    expect(readableTypes(gp)).toContain('Observation');
  });

  it('judge a body afresh each time (the organisation it claims)', () => {
    const mine: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, meta: { tag: [{ system: RECORDED_BY_SYSTEM, code: 'org-a' }] } };
    const theirs: Observation = { ...mine, meta: { tag: [{ system: RECORDED_BY_SYSTEM, code: 'org-b' }] } };
    expect(can(gp, 'create', 'Observation', mine).allowed).toBe(true);
    expect(can(gp, 'create', 'Observation', theirs).allowed).toBe(false);
    expect(can(gp, 'create', 'Observation').allowed).toBe(true);
  });
});

describe('linkedPatients (only the reference parameters evaluated)', () => {
  it('finds the same patients as the full index does', () => {
    const obs: Observation = {
      resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' },
      performer: [{ reference: 'Patient/p2' }, { reference: 'Practitioner/d1' }], focus: [{ reference: 'https://elsewhere.example/fhir/Patient/p9' }],
    };
    const pat: Patient = { resourceType: 'Patient', id: 'p1', link: [{ type: 'seealso', other: { reference: 'Patient/p3' } }], generalPractitioner: [{ reference: 'Organization/org-a' }] };
    expect(linkedPatients(obs).sort()).toEqual(['p1', 'p2']);
    expect(linkedPatients(pat).sort()).toEqual(['p1', 'p3']);
    const full = extractIndex(obs).reference;
    const only = extractIndex(obs, { table: 'reference' }).reference;
    expect(only).toEqual(full);
    expect(extractIndex(obs, { table: 'reference' }).token).toEqual([]);
    const links = extractIndex(pat).reference.filter((r) => r[0] === 'link');
    expect(links).toHaveLength(1);
    expect(extractIndex(pat, { table: 'reference', codes: ['link'] }).reference).toEqual(links);
  });
});
