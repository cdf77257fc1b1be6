import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { scheduleEscalation } from './escalation.scheduler.js';

describe('scheduleEscalation', () => {
  it('runs at once and then on its interval, one run at a time, and survives a failing run', async () => {
    let calls = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const tasks = {
      escalateOverdue: async () => {
        calls++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 30));
        concurrent--;
        if (calls === 2) throw new Error('database away');
        return 1;
      },
    };
    const stop = scheduleEscalation(tasks, createLogger('silent'), 5);
    await expect.poll(() => calls, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    await stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(after);
    expect(maxConcurrent).toBe(1);
  });
});
