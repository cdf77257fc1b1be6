import { resolve } from 'node:path';
import { systemClock } from '../clock.js';
import { asOfToday, nhsNumberCapacity, synthesizeResidents, timelineFor } from '../synth/index.js';
import { formatSummary, writeNdjson } from '../synth/ndjson.writer.js';
import { parseFlags, type Command } from './command.js';
import { Progress } from './progress.js';

function wholeNumber(value: string | true | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value === true || !Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number of 0 or more`);
  return n;
}

/** The value of an --as-of flag: a calendar date as YYYY-MM-DD. */
export function parseAsOf(value: string | true): string {
  if (value === true) throw new Error('--as-of needs a date, as YYYY-MM-DD');
  return timelineFor(value).asOf;
}

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Generate a synthetic Kent and Medway population as FHIR NDJSON',
  usage: 'npx onestory synth [--residents N] [--seed S] [--as-of YYYY-MM-DD] [--neighbourhood PCN|largest] [--out DIR]\n\n' +
    'Defaults: --residents 5000 --seed 1 --as-of today --out ./synth-output. Same seed and as-of day, same output.\n' +
    'Every date is relative to the as-of day (reviews and open work fall due around it). --neighbourhood registers\n' +
    'every resident with one primary care network\'s practices (its Organization id, or largest), as the demo does.\n' +
    'Reads the strategy facts, localities and eFI code sets from the package\'s data/ folder (see data/README.md).',
  async run(args) {
    const { flags } = parseFlags(args);
    let residents: number, seed: number, asOf: string;
    try {
      residents = wholeNumber(flags.residents, 5000, 'residents');
      seed = wholeNumber(flags.seed, 1, 'seed');
      asOf = flags['as-of'] === undefined ? asOfToday(systemClock()) : parseAsOf(flags['as-of']);
    } catch (err) {
      console.error((err as Error).message);
      return 2;
    }
    const outDir = resolve(typeof flags.out === 'string' ? flags.out : './synth-output');
    if (residents > nhsNumberCapacity()) {
      console.error(`Note: the NHS number test range (999...) holds ${nhsNumberCapacity().toLocaleString('en-GB')} valid numbers; residents beyond that carry only a synthetic resident identifier.`);
    }
    const progress = new Progress('Synthesising', residents);
    const started = performance.now();
    try {
      const summary = await writeNdjson(synthesizeResidents({ residents, seed, asOf, neighbourhood: typeof flags.neighbourhood === 'string' ? flags.neighbourhood : undefined }), {
        outDir,
        onProgress: (done, resources) => {
          const rate = resources / ((performance.now() - started) / 1000);
          progress.update(done, `residents, ${resources.toLocaleString('en-GB')} resources, ${Math.round(rate).toLocaleString('en-GB')}/s, RSS ${Math.round(process.memoryUsage.rss() / 1e6)} MB`);
        },
      });
      progress.done();
      console.log(formatSummary(summary));
      return 0;
    } catch (err) {
      progress.done();
      console.error(`synth failed: ${(err as Error).message}`);
      return 1;
    }
  },
};
