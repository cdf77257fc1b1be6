import type { Logger } from '../logger.js';
import type { FrailtyService } from './frailty.service.js';

/** The hour (UTC) of the nightly computation: after the day's work, before the morning's lists. */
export const NIGHTLY_HOUR_UTC = 2;
/** How often the server recomputes the people whose record changed (the change queue, migration 020). */
export const DRAIN_EVERY_MS = 5_000;

/** Milliseconds from `now` to the next NIGHTLY_HOUR_UTC:00. */
export function untilNextNight(now: Date): number {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), NIGHTLY_HOUR_UTC));
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now.getTime();
}

/**
 * Keeps the eFI and the cohort facts in step with the record while the server runs: every
 * DRAIN_EVERY_MS the people whose Conditions, Observations, medicines, admissions or carers changed
 * are recomputed (`drainQueue`), and every night everyone (`computeAll`: ages move on, last year's
 * admissions drop out), at once when never computed. One run at a time, nightly and drains alike, so
 * an older reading never overwrites a newer one; a failed run is logged and tried again (the queue
 * keeps what was not done). The timers never keep the process alive. Returns a stop function.
 * `drainEveryMs` replaces DRAIN_EVERY_MS (a test's short interval).
 */
export function scheduleFrailty(
  frailty: Pick<FrailtyService, 'computeAll' | 'everComputed' | 'drainQueue'>, logger: Logger, now: () => Date, o: { drainEveryMs?: number } = {},
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  let nightly: NodeJS.Timeout | undefined;
  let stopped = false;
  // A nightly run asked for while a drain is running is run straight after it, not skipped.
  let fullWanted = false;
  const one = (what: () => Promise<void>) => {
    if (busy || stopped) return false;
    busy = true;
    running = what().finally(() => {
      busy = false;
      if (fullWanted) full();
    });
    return true;
  };
  const full = (): void => {
    fullWanted = !one(computeAll);
  };
  const computeAll = () => frailty.computeAll()
    .then((r) => logger.info({ people: r.people, older: r.older, written: r.written, seconds: r.seconds }, 'eFI computed'))
    .catch((err) => logger.warn({ err }, 'eFI computation failed; it will run again tomorrow night'));
  const drain = () => one(() => frailty.drainQueue()
    .then((r) => {
      if (r.people > 0) logger.info({ people: r.people, written: r.written, seconds: r.seconds }, 'eFI recomputed for changed records');
    })
    .catch((err) => logger.warn({ err }, 'eFI recomputation of changed records failed; it will be tried again')));
  const arm = () => {
    if (stopped) return;
    nightly = setTimeout(() => {
      full();
      arm();
    }, untilNextNight(now()));
    nightly.unref();
  };
  void frailty.everComputed().then((yes) => {
    if (!yes) full();
  }).catch((err) => logger.warn({ err }, 'could not tell whether the eFI was ever computed'));
  arm();
  const draining = setInterval(drain, o.drainEveryMs ?? DRAIN_EVERY_MS);
  draining.unref();
  return async () => {
    stopped = true;
    if (nightly) clearTimeout(nightly);
    clearInterval(draining);
    await running;
  };
}
