import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_KINDS } from '../src/directory/directory-taxonomy.js';
import { importOpenReferral, readSource } from '../src/directory/oruk-import.service.js';
import type { Platform } from '../src/platform.js';
import { kentPostcodeDistricts } from '../src/directory/postcode-geography.js';
import { hashString, Prng } from '../src/synth/prng.js';

/** The directory benchmarks' feed: an Open Referral `/services` page of N services, as a council would publish it. */
export const KINDS = ['befriending', 'carers-support', 'weight-management', 'stop-smoking', 'debt-housing-advice', 'family-hub', 'domestic-abuse', 'veterans', 'dementia-support', 'crisis-cafe', 'street-triage', 'social-prescribing'];

/** N Open Referral service records, deterministic (its own PRNG stream). */
export function directoryFeed(n: number): string {
  const rng = new Prng(1, hashString('directory-bench'));
  const points = [...kentPostcodeDistricts()];
  const records = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[i % KINDS.length];
    const [pd, at] = points[rng.int(points.length)];
    const days = rng.chance(0.3) ? 'SA' : rng.chance(0.5) ? 'MO,TU,WE,TH,FR' : 'TU,TH';
    records.push({
      id: `bench-${i}`, name: `${SERVICE_KINDS[kind]} group ${i}`, status: 'active',
      description: `<p>${SERVICE_KINDS[kind]} in ${pd}: friendly support, advice and activities.</p>`,
      organization: { id: `bench-org-${i % 2000}`, name: `Bench charity ${i % 2000}`, description: 'A charity' },
      phones: [{ id: `p${i}`, number: `01632 960${String(i % 1000).padStart(3, '0')}` }],
      schedules: [{ id: `s${i}`, freq: 'WEEKLY', byday: days, opens_at: '10:00', closes_at: rng.chance(0.2) ? '20:00' : '16:00' }],
      service_at_locations: [{ id: `sal${i}`, location: { id: `bench-loc-${i}`, location_type: 'physical', name: `Hall ${i}`,
        latitude: Math.round((at.lat + (rng.next() - 0.5) * 0.03) * 1e5) / 1e5, longitude: Math.round((at.lon + (rng.next() - 0.5) * 0.04) * 1e5) / 1e5,
        addresses: [{ id: `a${i}`, address_1: `${i} High Street`, city: pd, state_province: 'Kent', postal_code: `${pd} 1AA`, country: 'GB', address_type: 'physical' }] } }],
      cost_options: [{ id: `c${i}`, option: rng.chance(0.8) ? 'Free' : '£3 a session' }],
      assured_date: '2026-09-01',
      attributes: [{ id: `at${i}`, taxonomy_term: { id: `t-${kind}`, name: SERVICE_KINDS[kind], taxonomy: 'bench', term: kind } }],
    });
  }
  return JSON.stringify({ total_items: n, contents: records });
}


/**
 * Imports a feed of N services into the platform's record through `importOpenReferral` (the code
 * behind `npx onestory directory import`), from a file as the command reads it: services per second,
 * and what `npm run bench`'s directory searches ask for (the feed's term ids, the postcode districts).
 */
export async function importBenchDirectory(platform: Pick<Platform, 'db' | 'resources' | 'importPool'>, n: number, workDir: string): Promise<{ perSecond: number; seconds: number; imported: number; rejected: number; termIds: string[]; postcodes: string[] }> {
  const file = join(workDir, `directory-${n}-${process.pid}.json`);
  writeFileSync(file, directoryFeed(n));
  try {
    const summary = await importOpenReferral(platform.db, platform.resources, readSource(file), undefined, platform.importPool);
    const terms = await platform.db.query<{ term: string }>('SELECT DISTINCT unnest(terms) AS term FROM directory_service WHERE service_id LIKE $1', ['oruk-svc-bench-%']);
    return {
      perSecond: summary.records.length / summary.seconds, seconds: summary.seconds, imported: summary.created + summary.updated + summary.unchanged, rejected: summary.rejected,
      termIds: terms.rows.map((r) => r.term).sort(), postcodes: [...kentPostcodeDistricts().keys()],
    };
  } finally {
    rmSync(file, { force: true });
  }
}
