import { loadConfig } from '../config.js';
import { createPlatform } from '../platform.js';
import { parseFlags, type Command } from './command.js';

const USAGE = `npx onestory efi compute

Computes the electronic Frailty Index for everyone 65 and over (a RiskAssessment each, rewritten only
when it changed) and the facts the cohort builder and case finding filter on, for everyone on the
record. The running server does the same every night. Uses DATABASE_URL when set, otherwise the
embedded database in ./.data (ONESTORY_DATA_DIR), beside a running server or on its own.`;

export const efiCommand: Command = {
  name: 'efi',
  summary: 'Compute the electronic Frailty Index for everyone 65 and over (efi compute)',
  usage: USAGE,
  async run(args) {
    const { positional } = parseFlags(args);
    if (positional[0] !== 'compute' || positional.length > 1) {
      console.error(`Usage: ${USAGE}`);
      return 2;
    }
    const platform = await createPlatform(loadConfig(), undefined, { mode: 'command' });
    try {
      const run = await platform.proactiveCare.frailty.computeAll();
      console.log(`eFI computed: ${run.people.toLocaleString('en-GB')} people, ${run.older.toLocaleString('en-GB')} aged 65 and over, `
        + `${run.written.toLocaleString('en-GB')} RiskAssessments written (new or changed), in ${run.seconds.toFixed(1)} s.`);
      return 0;
    } finally {
      await platform.close();
    }
  },
};
