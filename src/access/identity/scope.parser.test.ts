import { describe, expect, it } from 'vitest';
import { covers, formatScope, parseScope, parseScopeString, ScopeError, scopesPermit } from './scope.parser.js';

describe('SMART scopes', () => {
  it('parses v1 and v2 forms into the same Scope', () => {
    expect(parseScope('patient/Observation.read')).toEqual({ context: 'patient', resourceType: 'Observation', interactions: new Set(['r', 's']) });
    expect(parseScope('patient/Observation.rs')).toEqual(parseScope('patient/Observation.read'));
    expect(parseScope('user/*.*')).toEqual(parseScope('user/*.cruds'));
    expect(parseScope('system/Patient.write').interactions).toEqual(new Set(['c', 'u', 'd']));
    expect(formatScope(parseScope('user/*.*'))).toBe('user/*.cruds');
  });

  it('refuses malformed scopes', () => {
    for (const bad of ['patient/Observation', 'patient/Observation.sr', 'patient/Observation.rr', 'patient/Observation.x', 'admin/*.rs', 'patient/observation.rs', 'patient/Observation.rs?code=1', '']) {
      expect(() => parseScope(bad), bad).toThrow(ScopeError);
    }
    expect(() => parseScopeString('patient/*.rs bogus')).toThrow(ScopeError);
  });

  it('separates launch and identity scopes, drops offline_access, keeps the order asked for', () => {
    const r = parseScopeString('openid patient/*.rs  launch/patient offline_access fhirUser patient/*.rs');
    expect(r.resources.map((x) => x.text)).toEqual(['patient/*.rs']);
    expect(r.other).toEqual(['openid', 'launch/patient', 'fhirUser']);
    expect(r.granted).toEqual(['openid', 'patient/*.rs', 'launch/patient', 'fhirUser']);
  });

  it('checks coverage by context, type and interactions', () => {
    expect(covers(parseScope('user/*.cruds'), parseScope('user/Patient.rs'))).toBe(true);
    expect(covers(parseScope('user/Patient.rs'), parseScope('user/Patient.cruds'))).toBe(false);
    expect(covers(parseScope('user/*.cruds'), parseScope('patient/Patient.rs'))).toBe(false);
    expect(covers(parseScope('system/Patient.rs'), parseScope('system/Observation.rs'))).toBe(false);
    expect(scopesPermit([parseScope('patient/Observation.rs')], 'Observation', 's')).toBe(true);
    expect(scopesPermit([parseScope('patient/Observation.rs')], 'Observation', 'c')).toBe(false);
    expect(scopesPermit([parseScope('patient/*.rs')], 'Condition', 'r', ['user'])).toBe(false);
  });
});
