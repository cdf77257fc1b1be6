import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { OutcomesService } from './outcomes.service.js';

/** The nightly run starts at the first check after this hour (UTC). */
export const NIGHTLY_HOUR_UTC = 2;
const CHECK_EVERY_MS = 15 * 60_000;

/**
 * Evaluates and stores every record indicator for the recent quarters once a night (the first check
 * after NIGHTLY_HOUR_UTC), so a trend builds up; one run at a time; a failed run is logged and tried
 * again at the next check. `lastRun` (YYYY-MM-DD) says a run already happened that day (the demo's
 * first start evaluates before it listens). The timer never keeps the process alive. Returns a stop function.
 */
export function scheduleOutcomes(service: Pick<OutcomesService, 'nightly'>, clock: Clock, logger: Logger, lastRun?: string): () => Promise<void> {
  let running: Promise<void> | undefined;
  let done = lastRun;
  const tick = () => {
    const now = clock.now();
    const today = now.toISOString().slice(0, 10);
    if (running || done === today || now.getUTCHours() < NIGHTLY_HOUR_UTC) return;
    running = service.nightly()
      .then((n) => {
        done = today;
        logger.info({ evaluations: n }, 'outcome indicators evaluated and stored');
      })
      .catch((err) => logger.warn({ err }, 'the nightly evaluation of the outcome indicators failed; it will run again'))
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, CHECK_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
