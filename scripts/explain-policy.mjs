// EXPLAIN ANALYZE of searches under the access policy's row restriction, at 100k patients on PostgreSQL.
// Build: npm run build
// Run:   scripts/with-postgres.sh node scripts/explain-policy.mjs > docs/queries/policy-plans.md
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase } from '../dist/src/db/database.js';
import { migrate } from '../dist/src/db/migrate.js';
import { SearchService } from '../dist/src/fhir/search.service.js';
import { restrictionFor, RECORDED_BY_SYSTEM } from '../dist/src/access/policy/index.js';

const N = Number(process.env.N ?? 100_000);
const PRACTICES = 50;
const admin = process.env.TEST_DATABASE_URL;
const name = `explain_policy_${Date.now()}`;
const c = new pg.Client({ connectionString: admin });
await c.connect();
await c.query(`CREATE DATABASE ${name}`);
await c.end();
const url = new URL(admin);
url.pathname = `/${name}`;
const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
await migrate(db);

const t0 = Date.now();
// Patients p1..pN registered round-robin with practices org-0..org-49 (2,000 each);
// 3 Observations per patient recorded by the practice (1 in 50 labelled PSY); 2 finished Encounters;
// 1 in 100 patients objects to sharing; 1 in 20 has an open referral to org-mh.
await db.exec(`
INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
SELECT g, 'Patient', 'p' || g, 1, now(), json_build_object('resourceType','Patient','id','p' || g)::text FROM generate_series(1, ${N}) g;
INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id)
SELECT g, 'Patient', 'general-practitioner', 'Organization', 'org-' || (g % ${PRACTICES}) FROM generate_series(1, ${N}) g;
INSERT INTO care_relationship (rid, patient_id, party, kind)
SELECT g, 'p' || g, 'Organization/org-' || (g % ${PRACTICES}), 'registered' FROM generate_series(1, ${N}) g
UNION ALL SELECT 10 * ${N} + g, 'p' || g, 'Organization/org-mh', 'ServiceRequest' FROM generate_series(1, ${N}) g WHERE g % 20 = 0;
INSERT INTO sharing_objection (rid, patient_id) SELECT 20 * ${N} + g, 'p' || g FROM generate_series(1, ${N}) g WHERE g % 100 = 0;
INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
SELECT ${N} + g, 'Observation', 'o' || g, 1, now(), json_build_object('resourceType','Observation','id','o' || g)::text FROM generate_series(1, ${3 * N}) g;
INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id)
SELECT ${N} + g, 'Observation', code, 'Patient', 'p' || (1 + (g - 1) % ${N}) FROM generate_series(1, ${3 * N}) g, (VALUES ('subject'), ('patient')) v(code);
INSERT INTO sp_token (rid, resource_type, code, system, value)
SELECT ${N} + g, 'Observation', '_tag', '${RECORDED_BY_SYSTEM}', 'org-' || ((1 + (g - 1) % ${N}) % ${PRACTICES}) FROM generate_series(1, ${3 * N}) g
UNION ALL SELECT ${N} + g, 'Observation', 'code', 'http://loinc.org', 'c' || (g % 100) FROM generate_series(1, ${3 * N}) g
UNION ALL SELECT ${N} + g, 'Observation', '_security', 'http://terminology.hl7.org/CodeSystem/v3-ActCode', 'PSY' FROM generate_series(1, ${3 * N}) g WHERE g % 50 = 0;
INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
SELECT ${4 * N} + g, 'Encounter', 'e' || g, 1, now(), json_build_object('resourceType','Encounter','id','e' || g)::text FROM generate_series(1, ${2 * N}) g;
INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id)
SELECT ${4 * N} + g, 'Encounter', code, 'Patient', 'p' || (1 + (g - 1) % ${N}) FROM generate_series(1, ${2 * N}) g, (VALUES ('subject'), ('patient')) v(code);
ANALYZE;
`);
const loadMs = Date.now() - t0;

const service = new SearchService(db);
const gp = { kind: 'staff', id: 'u1', displayName: 'GP', role: 'gp', organizationId: 'org-7', organizationIds: ['org-7'], via: 'session', credentialId: 'x' };
const nurse = { ...gp, id: 'u2', role: 'community-nurse', organizationId: 'org-mh', organizationIds: ['org-mh'] };
const now = new Date();
const searches = [
  ['one related patient\'s observations (GP)', gp, 'Observation', 'subject=Patient/p7&_total=accurate'],
  ['an unrelated patient\'s observations (GP)', gp, 'Observation', 'subject=Patient/p8&_total=accurate'],
  ['read a related Patient by id (GP)', gp, 'Patient', '_id=p7'],
  ['all visible observations, first page and _total (GP: 6,000 of 300,000)', gp, 'Observation', '_count=20&_total=accurate'],
  ['by code across the record, first page and _total (GP)', gp, 'Observation', 'code=http://loinc.org|c42&_count=20&_total=accurate'],
  ['referral relationship: first page of patients (community nurse at org-mh)', nurse, 'Patient', '_count=20&_total=accurate'],
  ['an included subject (GP)', gp, 'Observation', 'subject=Patient/p7&_include=Observation:subject'],
];

async function timed(q, restriction) {
  const best = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    await service.run(q, { restriction });
    best.push(performance.now() - s);
  }
  return Math.min(...best).toFixed(2);
}

const out = [];
out.push(`# Query plans under the access policy at ${N.toLocaleString('en-GB')} patients\n`);
out.push(`PostgreSQL ${(await db.query('SHOW server_version')).rows[0].server_version}; ${N} Patients in ${PRACTICES} practices, ${3 * N} Observations (recorded-by tag, code, 1 in 50 labelled PSY), ${2 * N} Encounters, ${N} registration relationships plus ${N / 20} referrals, ${N / 100} sharing objections; loaded in ${(loadMs / 1000).toFixed(1)} s, then ANALYZE. Plans are \`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)\` of the exact SQL \`SearchService.run\` sends with \`restrictionFor(principal, now)\` (recorded by scripts/explain-policy.mjs). Times: best of 5 runs of the whole search, with and without the restriction, on a shared machine, for orientation only.\n`);
out.push('| search | unrestricted ms | restricted ms | matches |', '|---|--:|--:|--:|');
const rows = [];
for (const [title, p, type, query] of searches) {
  const q = service.parse(type, [...new URLSearchParams(query)]);
  const r = restrictionFor(p, now);
  const res = await service.run(q, { restriction: r });
  rows.push(`| ${title} | ${await timed(q, undefined)} | ${await timed(q, r)} | ${res.total ?? res.matches.length} |`);
}
out.push(...rows, '');
for (const [title, p, type, query] of searches) {
  const explained = [];
  const wrapper = {
    async query(sql, params) {
      const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
      explained.push({ plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'), sql });
      return db.query(sql, params);
    },
  };
  const q = service.parse(type, [...new URLSearchParams(query)]);
  await service.run(q, { restriction: restrictionFor(p, now) }, wrapper);
  out.push(`## ${title}: \`GET ${type}?${query}\`\n`);
  for (const [i, e] of explained.entries()) {
    out.push(`${explained.length > 1 ? `Statement ${i + 1} of ${explained.length}:\n\n` : ''}\`\`\`\n${e.plan}\n\`\`\`\n`);
  }
}
console.log(out.join('\n'));
await db.close();
const c2 = new pg.Client({ connectionString: admin });
await c2.connect();
await c2.query(`DROP DATABASE ${name} WITH (FORCE)`);
await c2.end();
