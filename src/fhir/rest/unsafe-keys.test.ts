import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { validate } from '../validation.service.js';

let t: TestPlatform;
let patientId: string;
beforeAll(async () => {
  t = await createTestPlatform();
  patientId = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Keyed' }] })).body.id;
});
afterAll(async () => t?.close());

const count = async () => Number((await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM resource_history WHERE resource_type <> 'AuditEvent'")).rows[0].n);

// Bodies are sent as text: in a JavaScript object literal "__proto__" would set the prototype instead of a key.
describe('"__proto__", "constructor" and "prototype" keys are refused like unknown elements', () => {
  const cases: [string, string, string, string][] = [
    ['POST', 'Patient', '{"resourceType":"Patient","__proto__":{"polluted":"yes"}}', 'Patient.__proto__'],
    ['POST', 'Patient', '{"resourceType":"Patient","constructor":{"prototype":{"polluted":"yes"}}}', 'Patient.constructor'],
    ['POST', 'Patient', '{"resourceType":"Patient","name":[{"family":"X","__proto__":{"polluted":"yes"}}]}', 'Patient.name[0].__proto__'],
    ['POST', 'Patient', '{"resourceType":"Patient","name":[{"family":"X","constructor":"x"}]}', 'Patient.name[0].constructor'],
    ['POST', 'Patient', '{"resourceType":"Patient","foo":1}', 'Patient.foo'],
    ['PATCH', 'Patient/:id', '[{"op":"add","path":"/name/0/given","value":{"__proto__":{"polluted":"yes"}}}]', '[0].value.__proto__'],
    ['POST', '', '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","__proto__":{"polluted":"yes"}}}]}',
      'Bundle.entry[0].resource.__proto__'],
  ];
  for (const [method, url, text, path] of cases) {
    it(`${method} ${url || '/'} with ${path}: 400 naming the path, nothing written`, async () => {
      const before = await count();
      const contentType = method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json';
      const res = await fhir(t.app, method, url.replace(':id', patientId), text, { 'content-type': contentType });
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue.flatMap((i: any) => i.expression ?? [])).toContain(path);
      expect(await count()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('validation refuses them too, for bodies that arrive other than over HTTP (import)', () => {
    const issues = validate(JSON.parse('{"resourceType":"Patient","name":[{"family":"X","__proto__":{"polluted":"yes"}}]}'));
    expect(issues.map((i) => i.expression?.[0])).toEqual(['Patient.name[0].__proto__']);
    expect(validate(JSON.parse('{"resourceType":"Patient","constructor":{}}')).map((i) => i.expression?.[0])).toEqual(['Patient.constructor']);
  });

  it('a string value "constructor" is not a key and is accepted', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', '{"resourceType":"Patient","name":[{"family":"constructor","given":["__proto__"]}]}');
    expect(res.status).toBe(201);
  });
});
