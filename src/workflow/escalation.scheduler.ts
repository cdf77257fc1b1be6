import type { Logger } from '../logger.js';
import type { TaskService } from './task.service.js';

/** How often the running server looks for overdue work. */
export const ESCALATION_INTERVAL_MS = 15 * 60_000;

/**
 * Raises an escalation for each overdue task (TaskService.escalateOverdue, idempotent: each is raised
 * once however often this runs), now and then every `everyMs`, one run at a time. A failed run is
 * logged and the next one tries again; the timer never keeps the process alive. Returns a stop function.
 */
export function scheduleEscalation(tasks: Pick<TaskService, 'escalateOverdue'>, logger: Logger, everyMs = ESCALATION_INTERVAL_MS): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = tasks.escalateOverdue()
      .then((raised) => {
        if (raised > 0) logger.info({ raised }, 'overdue tasks escalated');
      })
      .catch((err) => logger.warn({ err }, 'overdue task escalation failed; it will run again'))
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
