import type { Logger } from '../logger.js';
import type { TaskService } from './task.service.js';

/** How often the running server looks for overdue work. */
export const ESCALATION_INTERVAL_MS = 15 * 60_000;

/**
 * Runs `run` (an idempotent check of the platform's own: it raises each piece of work once however
 * often it runs) now and then every `everyMs`, one run at a time. A failed run is logged and the
 * next one tries again; the timer never keeps the process alive. Returns a stop function.
 * `what` names the work in the log ("overdue tasks escalated").
 */
export function scheduleRecurring(run: () => Promise<number>, logger: Logger, everyMs: number, what: string): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = run()
      .then((raised) => {
        if (raised > 0) logger.info({ raised }, what);
      })
      .catch((err) => logger.warn({ err }, `${what}: the run failed; it will run again`))
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** Raises an escalation for each overdue task (TaskService.escalateOverdue), now and every `everyMs`. */
export function scheduleEscalation(tasks: Pick<TaskService, 'escalateOverdue'>, logger: Logger, everyMs = ESCALATION_INTERVAL_MS): () => Promise<void> {
  return scheduleRecurring(() => tasks.escalateOverdue(), logger, everyMs, 'overdue tasks escalated');
}
