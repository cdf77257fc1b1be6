import { readFileSync, writeFileSync } from 'node:fs';
import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_TYPES } from '../../fhir/definitions.js';
import { PLATFORM_WRITTEN } from '../../fhir/resource.service.js';
import { createTestPlatform, writeAsPlatform, type TestPlatform } from '../../testing/test-platform.js';
import {
  expectedInteraction, expectedVerb, MATRIX_ACTIONS, MATRIX_VERBS, verbSubject, MATRIX_PRINCIPALS, matrixPrincipal, renderAccessMatrix, ROW_MATRIX, SAMPLE_TYPES, SCENARIO_PATIENT, SCENARIOS, type Scenario,
} from './access-matrix.js';
import { BreakGlassService } from './break-glass.service.js';
import { ACT_CODE_SYSTEM, CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, recordedByTag } from './policy-codes.js';
import { can } from './policy.js';
import { NOW } from './policy.fixtures.js';
import { readAs, searchAs } from './policy.test-helpers.js';
import './index.js';
import { recordAuditEventFixture } from '../../testing/audit-events.js';

const DOC = new URL('../../../docs/access-matrix.md', import.meta.url);

/** One patient per scenario, with one row of each sample type, all recorded by o-org. */
function scenarioWorld(): Resource[] {
  const out: Resource[] = [
    { resourceType: 'Organization', id: 'm-org', name: 'mine' } as Resource,
    { resourceType: 'Organization', id: 'o-org', name: 'other' } as Resource,
    { resourceType: 'RelatedPerson', id: 'rp-proxy', patient: { reference: 'Patient/p-proxy' } } as Resource,
  ];
  const byOther = { tag: [recordedByTag('o-org')] };
  for (const s of SCENARIOS) {
    const pid = SCENARIO_PATIENT[s];
    const gp = ['relationship', 'consent-withheld', 'sensitive'].includes(s) ? 'm-org' : 'o-org';
    const meta = s === 'sensitive' ? { ...byOther, security: [{ system: ACT_CODE_SYSTEM, code: 'PSY' }] } : byOther;
    const subject = { reference: `Patient/${pid}` };
    const privacy = { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] };
    const provision = s === 'consent-withheld' ? { type: 'deny' }
      : s === 'proxy' ? { type: 'permit', actor: [{ role: { text: 'carer' }, reference: { reference: 'RelatedPerson/rp-proxy' } }] }
        : { type: 'permit' };
    out.push(
      { resourceType: 'Patient', id: pid, meta: byOther, generalPractitioner: [{ reference: `Organization/${gp}` }] } as Resource,
      { resourceType: 'Observation', id: `O-${pid}`, meta, status: 'final', code: { text: 'x' }, subject } as Resource,
      { resourceType: 'Encounter', id: `E-${pid}`, meta, status: 'finished', class: { code: 'AMB' }, subject, serviceProvider: { reference: 'Organization/o-org' } } as Resource,
      {
        resourceType: 'Consent', id: `C-${pid}`, meta, status: 'active', patient: { reference: `Patient/${pid}` },
        scope: ['consent-withheld', 'proxy'].includes(s) ? privacy : { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: 'treatment' }] },
        category: [{ text: s }], policyRule: { text: s }, provision,
      } as Resource,
      {
        resourceType: 'AuditEvent', id: `A-${pid}`, meta, type: { code: 'rest' }, recorded: '2025-01-01T00:00:00Z',
        agent: [{ requestor: true, who: { reference: 'Organization/o-org' } }], source: { observer: { display: 'x' } }, entity: [{ what: subject }],
      } as Resource,
    );
  }
  return out;
}

const sampleId = (letter: string, s: Scenario) => (letter === 'P' ? SCENARIO_PATIENT[s] : letter === 'D' ? 'o-org' : `${letter}-${SCENARIO_PATIENT[s]}`);

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  for (const r of scenarioWorld()) {
    // AuditEvents are recorded by the platform in its audit table, never through the client-facing service.
    if (r.resourceType === 'AuditEvent') await recordAuditEventFixture(t.platform, r as AuditEvent & { id: string });
    else if (PLATFORM_WRITTEN.has(r.resourceType)) await writeAsPlatform(t.platform, r as Resource & { id: string });
    else await t.platform.resources.update(r.resourceType, r.id!, r);
  }
  const bg = new BreakGlassService(t.platform.db);
  for (const k of MATRIX_PRINCIPALS) {
    // Only clinical roles may break glass; for the others the attempt is refused (and the matrix expects no access).
    await bg.breakGlass(matrixPrincipal(k), SCENARIO_PATIENT['break-glass'], 'direct-care-emergency', 'matrix test emergency', NOW).catch((e) => {
      expect([403]).toContain(e.status);
    });
  }
});
afterAll(async () => t.close());

describe('access matrix: rows (the SQL restriction against a real database)', () => {
  for (const k of MATRIX_PRINCIPALS) {
    it(`${k}: every scenario × sample type`, async () => {
      const p = matrixPrincipal(k);
      const got: Record<string, string> = {};
      for (const s of SCENARIOS) {
        let letters = '';
        for (const [letter, type] of Object.entries(SAMPLE_TYPES)) {
          if (await readAs(t, p, type, sampleId(letter, s))) letters += letter;
        }
        got[s] = letters;
      }
      expect(got).toEqual(ROW_MATRIX[k]);
      // A search over every scenario finds and counts exactly the visible Observations.
      const visibleObs = SCENARIOS.filter((s) => ROW_MATRIX[k][s].includes('O')).map((s) => `O-${SCENARIO_PATIENT[s]}`).sort();
      const found = await searchAs(t, p, 'Observation', '_include=Observation:subject&_revinclude=AuditEvent:entity');
      expect(found.ids).toEqual(visibleObs);
      expect(found.total).toBe(visibleObs.length);
      const visibleIncludes = SCENARIOS.filter((s) => ROW_MATRIX[k][s].includes('O')).flatMap((s) => [
        ...(ROW_MATRIX[k][s].includes('P') ? [`Patient/${SCENARIO_PATIENT[s]}`] : []),
      ]);
      expect(found.included.filter((x) => x.startsWith('Patient/'))).toEqual(visibleIncludes.sort());
    });
  }
});

describe('access matrix: interactions (can)', () => {
  it('every principal × resource type × interaction', () => {
    const wrong: string[] = [];
    for (const k of MATRIX_PRINCIPALS) {
      const p = matrixPrincipal(k);
      for (const type of SUPPORTED_TYPES) {
        for (const a of MATRIX_ACTIONS) {
          const want = expectedInteraction(k, a, type);
          if (can(p, a, type).allowed !== want) wrong.push(`${k} ${a} ${type}: expected ${want ? 'allow' : 'deny'}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every principal × domain verb (task, break-glass, aggregate, referral, plan, workspace, portal, access log)', () => {
    const wrong: string[] = [];
    for (const k of MATRIX_PRINCIPALS) {
      const p = matrixPrincipal(k);
      for (const v of MATRIX_VERBS) {
        const want = expectedVerb(k, v);
        if (can(p, v, verbSubject(k, v)).allowed !== want) wrong.push(`${k} ${v}: expected ${want ? 'allow' : 'deny'}`);
      }
    }
    expect(wrong).toEqual([]);
    // Every verb is allowed to someone and refused to someone: no column is trivially true or false.
    for (const v of MATRIX_VERBS) expect(new Set(MATRIX_PRINCIPALS.map((k) => expectedVerb(k, v))), v).toEqual(new Set([true, false]));
  });

  it('docs/access-matrix.md is generated from the matrix and current', () => {
    const text = renderAccessMatrix();
    if (process.env.UPDATE_ACCESS_MATRIX === '1') writeFileSync(DOC, text);
    expect(readFileSync(DOC, 'utf8')).toBe(text);
  });
});
