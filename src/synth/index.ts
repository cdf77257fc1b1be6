import type { Resource } from '@medplum/fhirtypes';
import { systemClock } from '../clock.js';
import { resolveDeficits } from './clinical.catalogue.js';
import { HistoryModel } from './history.model.js';
import { NhsNumberAllocator } from './nhs-numbers.js';
import { generateDirectoryDetail } from './directory.generator.js';
import { generateOrganisations, type Directory, type Practice } from './organisation.generator.js';
import { PopulationModel } from './population.model.js';
import { cumulative } from './prng.js';
import { generateResident, type Neighbourhood, type ResidentContext } from './resident.generator.js';
import { loadReferenceData, type ReferenceData } from './reference-data.js';
import { asOfToday, timelineFor } from './timeline.js';

export interface SynthOptions {
  residents: number;
  seed: number;
  /**
   * The day the population is generated "as of" (YYYY-MM-DD): every date in it is relative to this
   * day, so reviews and work fall due around it. Default: today. The output is identical for the
   * same seed, as-of day and neighbourhood.
   */
  asOf?: string;
  /**
   * Register every resident with the practices of one primary care network (its Organization id, or
   * 'largest' for the network with the most practices) instead of across Kent and Medway: a demo of a
   * few thousand people then gives each practice, network and team a caseload of a realistic size.
   * Calibrated figures hold only for the whole-county default.
   */
  neighbourhood?: string;
}

export { nhsNumberCapacity } from './nhs-numbers.js';
export { TARGETS } from './history.model.js';
export { REFERENCE_AS_OF, timelineFor, asOfToday, type Timeline } from './timeline.js';

/** Everything derived once per population; residents are then generated one at a time. */
export function createContext(options: SynthOptions, data: ReferenceData = loadReferenceData()) {
  const model = new PopulationModel(data);
  const { resources, directory } = generateOrganisations(data, options.seed);
  const asOf = options.asOf ?? asOfToday(systemClock());
  // The directory's detail, on streams of its own: nothing generated before it shifts.
  resources.push(...generateDirectoryDetail(data, options.seed, asOf, resources, directory));
  const deficits = resolveDeficits(data.efi);
  const ctx: ResidentContext = {
    seed: options.seed >>> 0, model, history: new HistoryModel(model), directory,
    nhs: new NhsNumberAllocator(options.seed >>> 0), deficits, deficitCumulative: cumulative(deficits.map((d) => d.weight)),
    timeline: timelineFor(asOf),
    neighbourhood: options.neighbourhood === undefined ? undefined : neighbourhoodOf(directory, options.neighbourhood),
  };
  return { organisations: resources, ctx };
}

/**
 * The synthetic Kent and Medway population as FHIR R4 resources: organisations, services and
 * staff first (residents refer to them), then each resident with their whole history. Lazy, so
 * memory stays flat however many residents are asked for; identical for identical options.
 */
export function* synthesize(options: SynthOptions): Generator<Resource> {
  checkOptions(options);
  const { organisations, ctx } = createContext(options);
  yield* organisations;
  for (let i = 0; i < options.residents; i++) yield* generateResident(ctx, i);
}

/** Residents in batches (one array per resident), for writers that want to count residents. */
export function* synthesizeResidents(options: SynthOptions): Generator<Resource[]> {
  checkOptions(options);
  const { organisations, ctx } = createContext(options);
  yield organisations;
  for (let i = 0; i < options.residents; i++) yield generateResident(ctx, i);
}

function checkOptions(options: SynthOptions): void {
  if (!Number.isInteger(options.residents) || options.residents < 0) throw new Error('residents must be a whole number of 0 or more');
  if (!Number.isInteger(options.seed)) throw new Error('seed must be a whole number');
  if (options.asOf !== undefined) timelineFor(options.asOf);
}

/** The practices of a primary care network ('largest': the one with the most practices, the lowest id on a tie). */
function neighbourhoodOf(directory: Directory, pcn: string): Neighbourhood {
  const byPcn = new Map<string, Practice[]>();
  for (const list of directory.practicesByDistrict.values()) for (const p of list) byPcn.set(p.pcnId, [...(byPcn.get(p.pcnId) ?? []), p]);
  const id = pcn === 'largest'
    ? [...byPcn].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0]?.[0]
    : pcn;
  const practices = id ? byPcn.get(id) : undefined;
  if (!practices) throw new Error(`neighbourhood must be a primary care network's Organization id or 'largest', not '${pcn}'`);
  return { pcnId: id!, district: practices[0].district, practices };
}
