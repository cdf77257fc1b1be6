import type { StaffPrincipal } from '../access/principal.js';
import type { DemoAccount } from '../access/identity/demo-accounts.js';
import type { Platform } from '../platform.js';

/**
 * The demo's submitted figures, so the ICB analyst sees them on /outcomes on first start: pupil
 * absence and early years for the last two complete academic years (the council's own area from
 * the council's demo account, the system from the ICB analyst, who collates), sickness absence for
 * the last two complete quarters, and one correction, so a second version shows. The figures are
 * invented near the strategy's baselines, not data. Written once: only while no submitted figure is
 * in the record (a resubmission of a corrected figure would otherwise make a new version each start).
 */
export async function seedDemoSubmittedFigures(
  platform: Platform, accounts: DemoAccount[], principalOf: (a: DemoAccount) => StaffPrincipal, now: Date, opts: { evenIfSubmitted?: boolean } = {},
): Promise<number> {
  const any = await platform.db.query(`SELECT 1 FROM resource WHERE resource_type = 'MeasureReport' AND id LIKE 'sub-%' LIMIT 1`);
  if (any.rows.length && !opts.evenIfSubmitted) return 0;
  const analyst = accounts.find((a) => a.role === 'icb-analyst');
  const council = accounts.find((a) => a.role === 'social-worker' && (a.organizationId === 'org-kcc' || a.organizationId === 'org-medway-council'));
  if (!analyst) return 0;
  const submitted = platform.outcomes.submitted;
  const today = now.toISOString().slice(0, 10);
  // The last two academic years (September to August) over by today.
  const lastAug = Number(today.slice(0, 4)) - (today.slice(5) > '08-31' ? 0 : 1);
  const years = [lastAug - 1, lastAug].map((y) => ({ periodStart: `${y - 1}-09-01`, periodEnd: `${y}-08-31` }));
  // The last two calendar quarters over by today.
  const q = Math.floor((Number(today.slice(5, 7)) - 1) / 3);
  const quarterOf = (k: number) => {
    const y = Number(today.slice(0, 4)) + Math.floor((q - k) / 4);
    const m = ((((q - k) % 4) + 4) % 4) * 3;
    return { periodStart: new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10), periodEnd: new Date(Date.UTC(y, m + 3, 0)).toISOString().slice(0, 10) };
  };
  let n = 0;
  const send = async (a: DemoAccount, id: string, input: Record<string, unknown>) => {
    const r = await submitted.submit(principalOf(a), id, input);
    if (!r.unchanged) n++;
  };
  for (const [k, y] of years.entries()) {
    await send(analyst, 'O1.4', { ...y, place: 'system', numerator: [7_820, 7_540][k], denominator: 100_000 });
    await send(analyst, 'O1.5', { ...y, place: 'system', numerator: [10_610, 10_880][k], denominator: 16_000 });
  }
  if (council) {
    const area = council.organizationId === 'org-kcc' ? 'county:kent' : 'county:medway';
    // A first return with a typing error (79.1%), corrected the same day: both versions are kept.
    await send(council, 'O1.4', { ...years[1], place: area, numerator: 79_100, denominator: 100_000 });
    await send(council, 'O1.4', { ...years[1], place: area, numerator: 7_910, denominator: 100_000 });
  }
  for (const k of [2, 1]) await send(analyst, 'O6.3', { ...quarterOf(k), place: 'system', value: k === 2 ? 5.1 : 4.8 });
  return n;
}
