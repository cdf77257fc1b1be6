// EXPLAIN ANALYZE of the SQL that search builds, at 100k patients on real PostgreSQL.
// Build: npm run build
// Run:   scripts/with-postgres.sh node scripts/explain-search.mjs > docs/queries/plans.md (then merge into search-plans.md)
import pg from 'pg';
import { openDatabase } from '../dist/src/db/database.js';
import { migrate } from '../dist/src/db/migrate.js';
import { SearchService } from '../dist/src/fhir/search.service.js';

const N = Number(process.env.N ?? 100_000);
const admin = process.env.TEST_DATABASE_URL;
const name = `explain_${Date.now()}`;
const c = new pg.Client({ connectionString: admin });
await c.connect();
await c.query(`CREATE DATABASE ${name}`);
await c.end();
const url = new URL(admin);
url.pathname = `/${name}`;
const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
await migrate(db);

const t0 = Date.now();
// Patients: rid 1..N. Encounters: 2 per patient. Observations: 3 per patient, code 'rare' on 1 in 5000.
await db.exec(`
INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
SELECT g, 'Patient', 'p' || g, 1, now() - (g || ' seconds')::interval,
  json_build_object('resourceType','Patient','id','p' || g,
    'identifier', json_build_array(json_build_object('system','https://fhir.nhs.uk/Id/nhs-number','value', lpad(g::text, 10, '0'))),
    'name', json_build_array(json_build_object('family', 'f' || substr(md5(g::text), 1, 6), 'given', json_build_array('g' || substr(md5('x' || g), 1, 5)))),
    'gender', (ARRAY['male','female'])[1 + g % 2],
    'birthDate', to_char(date '1920-01-01' + ((g::bigint * 7919) % 36500)::int, 'YYYY-MM-DD'))::text
FROM generate_series(1, ${N}) g;
INSERT INTO sp_token (rid, resource_type, code, system, value)
SELECT g, 'Patient', 'identifier', 'https://fhir.nhs.uk/Id/nhs-number', lpad(g::text, 10, '0') FROM generate_series(1, ${N}) g
UNION ALL SELECT g, 'Patient', 'gender', NULL, (ARRAY['male','female'])[1 + g % 2] FROM generate_series(1, ${N}) g;
INSERT INTO sp_string (rid, resource_type, code, value, exact)
SELECT g, 'Patient', code, v, v FROM generate_series(1, ${N}) g,
  LATERAL (VALUES ('name', 'f' || substr(md5(g::text), 1, 6)), ('family', 'f' || substr(md5(g::text), 1, 6)),
                  ('name', 'g' || substr(md5('x' || g), 1, 5)), ('given', 'g' || substr(md5('x' || g), 1, 5))) AS s(code, v);
INSERT INTO sp_date (rid, resource_type, code, low, high)
SELECT g, 'Patient', 'birthdate', d, d + 1 FROM generate_series(1, ${N}) g, LATERAL (SELECT date '1920-01-01' + ((g::bigint * 7919) % 36500)::int AS d) x;

INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
SELECT ${N} + g, 'Encounter', 'e' || g, 1, now(),
  json_build_object('resourceType','Encounter','id','e' || g,'status','finished',
    'subject', json_build_object('reference', 'Patient/p' || (1 + (g - 1) % ${N})))::text
FROM generate_series(1, ${2 * N}) g;
INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id)
SELECT ${N} + g, 'Encounter', code, 'Patient', 'p' || (1 + (g - 1) % ${N}) FROM generate_series(1, ${2 * N}) g, unnest(ARRAY['subject','patient']) code;
INSERT INTO sp_date (rid, resource_type, code, low, high)
SELECT ${N} + g, 'Encounter', 'date', t, t + interval '1 hour' FROM generate_series(1, ${2 * N}) g,
  LATERAL (SELECT timestamptz '2015-01-01' + ((g::bigint * 104729) % 3650) * interval '1 day' AS t) x;

INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
SELECT ${3 * N} + g, 'Observation', 'o' || g, 1, now(),
  json_build_object('resourceType','Observation','id','o' || g,'status','final',
    'subject', json_build_object('reference', 'Patient/p' || (1 + (g - 1) % ${N})),
    'encounter', json_build_object('reference', 'Encounter/e' || (1 + (g - 1) % ${2 * N})))::text
FROM generate_series(1, ${3 * N}) g;
INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id)
SELECT ${3 * N} + g, 'Observation', code, 'Patient', 'p' || (1 + (g - 1) % ${N}) FROM generate_series(1, ${3 * N}) g, unnest(ARRAY['subject','patient']) code
UNION ALL SELECT ${3 * N} + g, 'Observation', 'encounter', 'Encounter', 'e' || (1 + (g - 1) % ${2 * N}) FROM generate_series(1, ${3 * N}) g;
INSERT INTO sp_token (rid, resource_type, code, system, value)
SELECT ${3 * N} + g, 'Observation', 'code', 'http://loinc.org', CASE WHEN g % 5000 = 0 THEN 'rare-1' ELSE 'common-' || (g % 20) END
FROM generate_series(1, ${3 * N}) g;
SELECT setval('resource_rid_seq', ${6 * N + 1});
ANALYZE;
`);
const loadMs = Date.now() - t0;

const service = new SearchService(db);
const searches = [
  ['identifier token', 'Patient', 'identifier=https://fhir.nhs.uk/Id/nhs-number|0000054321'],
  ['name string prefix', 'Patient', 'name=fab12'],
  ['name string prefix, short (many matches)', 'Patient', 'name=fa'],
  ['birthdate range (eq a month)', 'Patient', 'birthdate=1970-03'],
  ['birthdate range (ge & lt)', 'Patient', 'birthdate=ge1970-03-01&birthdate=lt1970-04-01'],
  ['reference with _include', 'Encounter', 'subject=Patient/p54321&_include=Encounter:subject'],
  ['_revinclude', 'Patient', '_id=p54321&_revinclude=Encounter:subject'],
  ['chained', 'Encounter', 'patient.identifier=https://fhir.nhs.uk/Id/nhs-number|0000054321'],
  ['_has', 'Patient', '_has:Observation:patient:code=http://loinc.org|rare-1'],
  ['_sort by birthdate, first page', 'Patient', '_sort=birthdate&_count=20'],
  ['default order, first page', 'Patient', '_count=20'],
];

const out = [];
out.push(`# Search query plans at ${N.toLocaleString('en-GB')} patients\n`);
out.push(`PostgreSQL ${(await db.query('SHOW server_version')).rows[0].server_version}; ${N} Patients, ${2 * N} Encounters, ${3 * N} Observations with their index rows, loaded with generate_series in ${(loadMs / 1000).toFixed(1)} s, then ANALYZE. Plans are \`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)\` of the exact SQL and parameters that \`SearchService.run\` sends (recorded by scratch/explain-search.mjs). Timings are from one run on a shared 2-core machine, for orientation only.\n`);
for (const [title, type, query] of searches) {
  const explained = [];
  const wrapper = {
    async query(sql, params) {
      const plan = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
      explained.push({ sql, params, plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n') });
      return db.query(sql, params);
    },
  };
  const q = service.parse(type, [...new URLSearchParams(query)]);
  const result = await service.run(q, {}, wrapper);
  out.push(`## ${title}: \`GET ${type}?${query}\`\n`);
  out.push(`${result.matches.length} match(es), ${result.included.length} included.\n`);
  for (const [i, e] of explained.entries()) {
    out.push(`${explained.length > 1 ? `Statement ${i + 1} of ${explained.length}:\n\n` : ''}\`\`\`sql\n${e.sql.replace(/\n\s+/g, '\n  ')}\n-- params: ${JSON.stringify(e.params)}\n\`\`\`\n\n\`\`\`\n${e.plan}\n\`\`\`\n`);
  }
}
console.log(out.join('\n'));
await db.close();
const c2 = new pg.Client({ connectionString: admin });
await c2.connect();
await c2.query(`DROP DATABASE ${name} WITH (FORCE)`);
await c2.end();
