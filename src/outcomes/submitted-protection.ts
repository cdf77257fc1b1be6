import type { SubmittedComputation } from './indicator.definitions.js';
import type { Figure } from './measure-evaluation.service.js';
import type { Geography } from './place.directory.js';
import { protect, type Relation } from './small-numbers.js';
import { publishedFigure, type CheckedFigure } from './submitted-figure.rules.js';

/** One place's submitted figure (the partner's exact counts, as in its MeasureReport). */
export type SubmittedCells = Pick<CheckedFigure, 'numerator' | 'denominator' | 'value'>;

/**
 * Protects every place's submitted figure for one indicator and period together. Each return is
 * protected on its own first (publishedFigure: counts of people from 1 to 7 suppressed, the rest
 * rounded). But partners' returns for a grouping and for all of its districts (Kent and its twelve
 * districts, the system and its two council areas) usually add up, so a suppressed district could be
 * worked out as the county's count less the other districts'. So every sum of the geography is a
 * relation for small-numbers.ts's secondary suppression, as for the figures computed from the record,
 * with the places no count was given for as cells nobody can read (two sums through one such place
 * still give a difference). The protection treats every published count as exact (the worst case),
 * whether or not the returns truly add up.
 */
export function protectSubmitted(c: SubmittedComputation, g: Geography, figures: Map<string, SubmittedCells>): Map<string, Figure> {
  const out = new Map<string, Figure>();
  for (const [place, f] of figures) out.set(place, publishedFigure(c, f));
  // Counts of organisations are shown as given; a percentage or score alone is no count to difference.
  if (c.countsOrganisations) return out;
  const counted = (f: SubmittedCells) => f.numerator !== null || c.scoring === 'count';
  if ([...figures.values()].filter(counted).length < 2) return out;

  // Every residence place is a cell; one with no counted return is unknown to readers, but a sum
  // through it still links the others (the system less Kent's districts is Medway, Kent or not).
  const places = ['system', 'county:kent', 'county:medway', ...g.hcps.map((h) => `hcp:${h.id}`), ...g.districts.map((d) => `district:${d.id}`)];
  const index = new Map(places.map((p, i) => [p, i]));
  const sums: [string, string[]][] = [
    ['county:kent', g.districts.filter((d) => d.id !== 'medway').map((d) => `district:${d.id}`)],
    ['county:medway', ['district:medway']],
    ...g.hcps.map((h): [string, string[]] => [`hcp:${h.id}`, g.districts.filter((d) => d.hcp === h.id).map((d) => `district:${d.id}`)]),
    ['system', ['county:kent', 'county:medway']],
    ['system', g.hcps.map((h) => `hcp:${h.id}`)],
    ['system', g.districts.map((d) => `district:${d.id}`)],
  ];
  const relations: Relation[] = sums.map(([parent, children]) => ({ parent: index.get(parent)!, children: children.map((ch) => index.get(ch)!) }));
  const given = places.map((p) => figures.get(p));
  const unpublished = given.map((f) => !f || !counted(f));
  // Hide the whole system's figure last, then the councils' and partnerships', then districts'.
  const keep = places.map((p) => (p === 'system' ? 6 : p.startsWith('district:') ? 2 : 4));
  const num = protect(given.map((f) => (!f || !counted(f) ? 0 : c.scoring === 'count' ? f.value : f.numerator!)), relations, keep, unpublished);
  const den = c.scoring === 'count' ? undefined : protect(given.map((f) => (f && counted(f) ? f.denominator ?? 0 : 0)), relations, keep, unpublished);
  places.forEach((p, i) => {
    if (!unpublished[i] && (num.suppressed[i] || den?.suppressed[i])) out.set(p, { numerator: null, denominator: null, score: null, low: null, high: null, suppressed: true });
  });
  return out;
}
