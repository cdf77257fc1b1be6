import type { Logger } from '../logger.js';
import type { FrailtyService } from './frailty.service.js';

/** The hour (UTC) of the nightly computation: after the day's work, before the morning's lists. */
export const NIGHTLY_HOUR_UTC = 2;

/** Milliseconds from `now` to the next NIGHTLY_HOUR_UTC:00. */
export function untilNextNight(now: Date): number {
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), NIGHTLY_HOUR_UTC));
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now.getTime();
}

/**
 * Recomputes the eFI and the cohort facts for everyone every night while the server runs (and at
 * once when they have never been computed), one run at a time; a failed run is logged and the next
 * night tries again. The timers never keep the process alive. Returns a stop function.
 */
export function scheduleFrailty(frailty: Pick<FrailtyService, 'computeAll' | 'everComputed'>, logger: Logger, now: () => Date): () => Promise<void> {
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = () => {
    if (running) return;
    running = frailty.computeAll()
      .then((r) => logger.info({ people: r.people, older: r.older, written: r.written, seconds: r.seconds }, 'eFI computed'))
      .catch((err) => logger.warn({ err }, 'eFI computation failed; it will run again tomorrow night'))
      .finally(() => {
        running = undefined;
      });
  };
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run();
      arm();
    }, untilNextNight(now()));
    timer.unref();
  };
  void frailty.everComputed().then((yes) => {
    if (!yes) run();
  }).catch((err) => logger.warn({ err }, 'could not tell whether the eFI was ever computed'));
  arm();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
