import { existsSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { importItems, readImportSource } from '../fhir/import.service.js';
import { createPlatform } from '../platform.js';
import { parseFlags, type Command } from './command.js';
import { Progress } from './progress.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'Load FHIR NDJSON files (one resource a line) or Bundles into the record',
  usage: 'npx onestory import <file|dir> [--show-rejected N]\n\nUses DATABASE_URL when set, otherwise the embedded database in ./.data (ONESTORY_DATA_DIR).',
  async run(args) {
    const { flags, positional } = parseFlags(args);
    const path = positional[0];
    if (!path) {
      console.error(`Usage: ${this.usage}`);
      return 2;
    }
    if (!existsSync(path)) {
      console.error(`No such file or directory: ${path}`);
      return 2;
    }
    const platform = await createPlatform(loadConfig(), undefined, { mode: 'command', startImportWorkers: true });
    try {
      const progress = new Progress('Importing');
      const started = performance.now();
      const summary = await importItems(platform, readImportSource(path), (done, rejected) => {
        const rate = done / ((performance.now() - started) / 1000);
        progress.update(done, `resources, ${Math.round(rate).toLocaleString('en-GB')}/s, ${rejected} rejected`);
      });
      progress.done();
      console.log(`Imported ${summary.imported.toLocaleString('en-GB')} resources in ${summary.seconds.toFixed(1)} s (${Math.round(summary.perSecond).toLocaleString('en-GB')} resources/s).`);
      const show = Number(flags['show-rejected'] ?? 20);
      if (summary.rejected.length > 0) {
        console.log(`Rejected ${summary.rejected.length} line(s):`);
        for (const r of summary.rejected.slice(0, show)) console.log(`  ${r.source}: ${r.reason}`);
        if (summary.rejected.length > show) console.log(`  … and ${summary.rejected.length - show} more (--show-rejected N)`);
      } else console.log('Rejected 0 lines.');
      // The eFI of the people whose records this load changed: recomputed now, so the change queue does
      // not wait (and grow) until a server runs.
      const queued = await platform.proactiveCare.frailty.queuedPeople();
      if (queued > 0) {
        const efi = await platform.proactiveCare.frailty.catchUp();
        console.log(efi.everyone
          ? `eFI computed for everyone (${efi.people.toLocaleString('en-GB')} people, never computed before) in ${efi.seconds.toFixed(1)} s.`
          : `eFI recomputed for ${efi.people.toLocaleString('en-GB')} people whose records changed in ${efi.seconds.toFixed(1)} s.`);
      }
      return summary.rejected.length > 0 ? 1 : 0;
    } finally {
      await platform.close();
    }
  },
};
