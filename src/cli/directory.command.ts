import { existsSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { importOpenReferral, readSource } from '../directory/oruk-import.service.js';
import { createPlatform } from '../platform.js';
import { parseFlags, type Command } from './command.js';
import { Progress } from './progress.js';

export const directoryCommand: Command = {
  name: 'directory',
  summary: 'The service directory: import an Open Referral UK (HSDS) JSON export',
  usage: 'npx onestory directory import <file|url> [--show N]\n\n' +
    'Takes a page of /services ({"contents": [...]}) or a list of full service records, from a file or an\n' +
    'http(s) URL, streamed. An Open Referral API\'s own list (a URL ending /services, e.g.\n' +
    'https://example.org/openreferral/services) is harvested: every page, and each service\'s full record\n' +
    'from /services/{id}. Re-running updates what changed and never duplicates. Each record is\n' +
    'imported, imported with warnings, or rejected with the reason; a rejected record writes nothing.\n' +
    'Works on the running server\'s database when it is running, else on the embedded database in\n' +
    './.data (ONESTORY_DATA_DIR), or DATABASE_URL when set.',
  async run(args) {
    const { flags, positional } = parseFlags(args);
    const [sub, source] = positional;
    if (sub !== 'import' || !source) {
      console.error(`Usage: ${this.usage}`);
      return 2;
    }
    if (!/^https?:\/\//i.test(source) && !existsSync(source)) {
      console.error(`No such file: ${source}`);
      return 2;
    }
    const platform = await createPlatform(loadConfig(), undefined, { mode: 'command', startImportWorkers: true });
    try {
      const progress = new Progress('Importing services');
      let done = 0;
      let harvested: { pages: number; totalPages?: number } | undefined;
      const chunks = readSource(source, { onPage: (p) => (harvested = p) });
      const summary = await importOpenReferral(platform.db, platform.resources, chunks, () => progress.update(++done, 'records'), platform.importPool);
      progress.done();
      if (harvested) console.log(`Harvested ${source}: ${harvested.pages} page${harvested.pages === 1 ? '' : 's'}${harvested.totalPages !== undefined ? ` of ${harvested.totalPages}` : ''}, each service's full record from /services/{id}.`);
      const show = Number(flags.show ?? 20);
      const rate = summary.records.length / Math.max(summary.seconds, 0.001);
      console.log(`Read ${summary.records.length.toLocaleString('en-GB')} records in ${summary.seconds.toFixed(1)} s (${Math.round(rate).toLocaleString('en-GB')}/s): ` +
        `${summary.created} new, ${summary.updated} updated, ${summary.unchanged} unchanged (${summary.withWarnings} with warnings), ${summary.rejected} rejected.`);
      const warned = summary.records.filter((r) => r.outcome !== 'rejected' && r.warnings.length);
      if (warned.length) {
        console.log('Imported with warnings:');
        for (const r of warned.slice(0, show)) console.log(`  record ${r.index + 1} (${r.id}${r.name ? `, ${r.name}` : ''}): ${r.warnings.join('; ')}`);
        if (warned.length > show) console.log(`  … and ${warned.length - show} more (--show N)`);
      }
      const rejected = summary.records.filter((r) => r.outcome === 'rejected');
      if (rejected.length) {
        console.log('Rejected:');
        for (const r of rejected.slice(0, show)) console.log(`  record ${r.index + 1}${r.id ? ` (${r.id})` : ''}: ${r.reason}`);
        if (rejected.length > show) console.log(`  … and ${rejected.length - show} more (--show N)`);
      }
      if (summary.stoppedBecause) console.log(`Stopped: ${summary.stoppedBecause}. The records before it are imported.`);
      return summary.rejected > 0 || summary.stoppedBecause ? 1 : 0;
    } finally {
      await platform.close();
    }
  },
};
