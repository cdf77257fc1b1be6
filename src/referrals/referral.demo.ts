import type { Database } from '../db/database.js';

/**
 * The voluntary organisation of the demo's VCSE account: the one running a befriending service in the
 * district of the demo resident's practice (one open on Saturdays first), else any befriending service.
 */
export async function demoBefriendingService(db: Database, practiceId: string | undefined): Promise<{ serviceId: string; organizationId: string } | undefined> {
  const res = await db.query<{ id: string; org: string }>(
    `WITH d AS (SELECT e ->> 'valueString' AS district FROM resource o, jsonb_array_elements(coalesce(o.content::jsonb -> 'extension', '[]'::jsonb)) e
                 WHERE o.resource_type = 'Organization' AND o.id = $1 AND e ->> 'url' LIKE '%/district')
     SELECT h.id, split_part(h.content::jsonb -> 'providedBy' ->> 'reference', '/', 2) AS org FROM resource h
      WHERE h.resource_type = 'HealthcareService' AND NOT h.deleted AND h.content::jsonb -> 'type' -> 0 -> 'coding' -> 0 ->> 'code' = 'befriending'
        AND coalesce(h.content::jsonb ->> 'active', 'true') = 'true'
      ORDER BY EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(h.content::jsonb -> 'extension', '[]'::jsonb)) e, d WHERE e ->> 'url' LIKE '%/district' AND e ->> 'valueString' = d.district) DESC,
               (h.content LIKE '%"sat"%') DESC, h.id
      LIMIT 1`,
    [practiceId ?? ''],
  );
  return res.rows[0] ? { serviceId: res.rows[0].id, organizationId: res.rows[0].org } : undefined;
}
