import { formatDemoAccounts, seedDemoAccounts } from '../access/identity/demo-accounts.js';
import { prepareDemoStory } from '../record-view/demo-story.js';
import type { Logger } from '../logger.js';
import { importItems } from '../fhir/import.service.js';
import type { Platform } from '../platform.js';

/** On an empty embedded database, loads a small synthetic population so a first start shows a living system. */
export async function loadDemoPopulation(platform: Platform, residents: number, logger: Logger): Promise<void> {
  const any = await platform.db.query('SELECT 1 FROM resource LIMIT 1');
  if (any.rows.length > 0) return showDemoAccounts(platform);
  let synth: typeof import('../synth/index.js');
  try {
    synth = await import('../synth/index.js');
  } catch (err) {
    logger.warn({ err }, 'the synthetic population generator is not available; starting empty');
    return;
  }
  console.log(`Loading a synthetic population of ${residents} residents (first start only)…`);
  const items = (function* () {
    let n = 0;
    for (const resource of synth.synthesize({ residents, seed: 1 })) yield { resource, source: `synth #${++n}` };
  })();
  const summary = await importItems(platform, items);
  console.log(`Loaded ${summary.imported.toLocaleString('en-GB')} synthetic resources in ${summary.seconds.toFixed(1)} s.`);
  if (summary.rejected.length > 0) logger.error({ rejected: summary.rejected.slice(0, 5) }, 'some synthetic resources were rejected');
  await showDemoAccounts(platform);
}

/** Demo accounts on the synthetic population (kept across starts), and how to sign in with them. */
async function showDemoAccounts(platform: Platform): Promise<void> {
  const accounts = await seedDemoAccounts(platform);
  if (accounts.length > 0) console.log(formatDemoAccounts(accounts));
  // The web app's demo: the resident's carer gets proxy access, and the console says whom to look up.
  const hint = await prepareDemoStory(platform, accounts).catch((err: Error) => `(demo story not prepared: ${err.message})`);
  if (hint) console.log(hint);
}
