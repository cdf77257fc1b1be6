import { synthesizeResidents } from '../src/synth/index.js';
import { writeNdjson } from '../src/synth/ndjson.writer.js';

export interface SynthBenchResult {
  residents: number;
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
  peakRssMb: number;
}

/**
 * Generates a population and writes it as NDJSON, timing the whole pipeline (generation, JSON
 * and disk) the way `onestory synth` runs it. The caller owns outDir (and deletes it).
 */
export async function benchSynth(opts: { residents: number; outDir: string; seed?: number }): Promise<SynthBenchResult> {
  const summary = await writeNdjson(synthesizeResidents({ residents: opts.residents, seed: opts.seed ?? 1 }), { outDir: opts.outDir });
  return {
    residents: summary.residents,
    resources: summary.resources,
    seconds: summary.seconds,
    resourcesPerSecond: summary.resourcesPerSecond,
    peakRssMb: summary.peakRssMb,
  };
}
