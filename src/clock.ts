/**
 * The platform's one clock. Every service that needs "now" (sessions, tokens, break-glass, task due
 * dates and escalation, the synthetic population's "as of" date) reads it from here, handed in by
 * src/platform.ts, so tests freeze or move time instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

/** The real time. */
export const systemClock = (): Clock => ({ now: () => new Date() });

/** A clock that stands still until moved: `set` and `advance` change what `now()` answers. */
export interface ManualClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function frozenClock(at: Date | string): ManualClock {
  let t = new Date(at).getTime();
  return {
    now: () => new Date(t),
    set: (d) => {
      t = new Date(d).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
