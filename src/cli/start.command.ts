import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { hasPgliteData } from '../db/embedded.database.js';
import { createLogger } from '../logger.js';
import { createPlatform } from '../platform.js';
import { buildServer } from '../server.js';
import { parseFlags, type Command } from './command.js';
import { FOLLOW_UP_INTERVAL_MS } from '../discharge/reablement-91.service.js';
import { scheduleEscalation, scheduleRecurring } from '../workflow/escalation.scheduler.js';
import { scheduleFrailty } from '../proactive-care/frailty.scheduler.js';
import { scheduleOutcomes } from '../outcomes/outcomes.scheduler.js';
import { publishDefinitions } from './definitions.js';
import { loadDemoPopulation } from './demo-population.js';
import { parseAsOf } from './synth.command.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the platform (HTTP on PORT, default 8080)',
  usage:
    'npx onestory start [--demo-residents N] [--as-of YYYY-MM-DD] [--no-demo]\n\n' +
    'With DATABASE_URL unset the embedded database in ./.data is used, and on its first start a synthetic\n' +
    'population of N residents (default 2000) is loaded so the demo is alive at once, dated as of today\n' +
    '(or --as-of), with open work for the demo accounts.',
  async run(args) {
    const { flags } = parseFlags(args);
    let asOf: string | undefined;
    try {
      asOf = flags['as-of'] === undefined ? undefined : parseAsOf(flags['as-of']);
    } catch (err) {
      console.error((err as Error).message);
      return 2;
    }
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    if (!config.databaseUrl && config.embedded === 'postgres' && hasPgliteData(config.dataDir)) {
      console.log(`${config.dataDir} holds a PGlite database from an earlier version: it is left as it is (ONESTORY_EMBEDDED=pglite opens it); the embedded PostgreSQL starts afresh in ${join(config.dataDir, 'pg')}.`);
    }
    const platform = await createPlatform(config, undefined, { mode: 'serve' });
    const app = await buildServer(platform, logger);
    // Sign-in says "starting up" (503) until the demo accounts are created, below, after listen.
    const demo = !config.databaseUrl && flags['no-demo'] === undefined;
    platform.identity.startingUp = demo;
    // Set once the escalation runs (after the demo loads); shutdown stops it first.
    const escalation = { stop: async (): Promise<void> => undefined };
    const outcomesRun = { stop: async (): Promise<void> => undefined };
    const shutdown = async () => {
      let code = 0;
      try {
        await escalation.stop();
        await outcomesRun.stop();
        await app.close();
      } catch (err) {
        console.error(err);
        code = 1;
      }
      // Always: the embedded PostgreSQL is a process of its own, stopped here, not by our exit.
      await platform.close().catch((err: unknown) => {
        console.error(err);
        code = 1;
      });
      process.exit(code);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    // The strategy's indicators as Measures, and the questionnaires, in the record before the server
    // answers: a ready server has its definitions, and a database that drops its sessions once the
    // server is serving (a failover) meets only request handlers and schedulers, which answer 503 or
    // retry, never start-up work whose failure would end the process.
    try {
      await publishDefinitions(platform);
      await app.listen({ port: config.port, host: config.host });
    } catch (err) {
      // PORT taken, or the database gone: stop the database this start opened before saying so.
      await app.close().catch(() => undefined);
      await platform.close();
      throw err;
    }
    const url = `http://localhost:${(app.server.address() as { port: number }).port}`;
    const database = config.databaseUrl ? 'PostgreSQL' : config.embedded === 'pglite' ? `embedded PGlite, ${config.dataDir}` : `embedded PostgreSQL, ${join(config.dataDir, 'pg')}`;
    if (demo) {
      console.log(`OneStory is listening at ${url} and creating the demonstration accounts (database: ${database})…`);
      const residents = Number(flags['demo-residents'] ?? 2000);
      await loadDemoPopulation(platform, residents, logger, { clock: platform.clock, asOf });
    }
    // The demo evaluates the recent quarters now, so its outcomes dashboard shows stored figures on first start.
    let evaluatedToday: string | undefined;
    if (demo) {
      const n = await platform.outcomes.service.nightly();
      evaluatedToday = platform.clock.now().toISOString().slice(0, 10);
      console.log(`Evaluated and stored ${n} outcome indicator figures (the last four quarters).`);
      // The Better Care Fund view's years too, so /outcomes/bcf opens on stored figures.
      await platform.outcomes.bcf.refresh();
      platform.identity.startingUp = false;
    }
    // Only now: an invitation to sign in before the demo accounts exist would fail and count towards the lockout.
    console.log(`OneStory is running at ${url}: open it in a browser for the care workspace and the resident portal (FHIR API ${url}/fhir/R4, database: ${database})`);
    // Overdue work, and referrals past their service-level clocks, are escalated once each, now and every 15 minutes, while the server runs.
    const { tasks } = platform.workflow;
    const { referrals } = platform.referrals;
    const stopEscalation = scheduleEscalation({ escalateOverdue: async () => (await tasks.escalateOverdue()) + (await referrals.escalateBreaches()) }, logger);
    // People reaching day 91 after leaving hospital into reablement get their follow-up, now and every hour.
    const stopFollowUps = scheduleRecurring(() => platform.discharge.reablement.raiseFollowUps(), logger, FOLLOW_UP_INTERVAL_MS, 'day-91 reablement follow-ups raised');
    // The frailty index and the cohort facts: every night (and now, if never computed).
    const stopFrailty = scheduleFrailty(platform.proactiveCare.frailty, logger, () => platform.clock.now());
    escalation.stop = async () => {
      await Promise.all([stopEscalation(), stopFollowUps(), stopFrailty()]);
    };
    // The outcome indicators are evaluated and stored nightly, so a trend builds up.
    outcomesRun.stop = scheduleOutcomes(platform.outcomes.service, platform.clock, logger, evaluatedToday);
    return new Promise<number>(() => undefined);
  },
};
