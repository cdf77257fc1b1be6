import type { Resource } from '@medplum/fhirtypes';
import { resolveDeficits } from './clinical.catalogue.js';
import { HistoryModel } from './history.model.js';
import { NhsNumberAllocator } from './nhs-numbers.js';
import { generateOrganisations } from './organisation.generator.js';
import { PopulationModel } from './population.model.js';
import { cumulative } from './prng.js';
import { generateResident, type ResidentContext } from './resident.generator.js';
import { loadReferenceData, type ReferenceData } from './reference-data.js';

export interface SynthOptions {
  residents: number;
  seed: number;
}

export { nhsNumberCapacity } from './nhs-numbers.js';
export { TARGETS } from './history.model.js';

/** Everything derived once per population; residents are then generated one at a time. */
export function createContext(options: SynthOptions, data: ReferenceData = loadReferenceData()) {
  const model = new PopulationModel(data);
  const { resources, directory } = generateOrganisations(data, options.seed);
  const deficits = resolveDeficits(data.efi);
  const ctx: ResidentContext = {
    seed: options.seed >>> 0, model, history: new HistoryModel(model), directory,
    nhs: new NhsNumberAllocator(options.seed >>> 0), deficits, deficitCumulative: cumulative(deficits.map((d) => d.weight)),
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
}
