import type { HealthcareService } from '@medplum/fhirtypes';
import type { Priority } from './referral.vocabulary.js';

/**
 * Service-level clocks of a referral, pure (no I/O, no clock of their own: `now` is passed in):
 * - acknowledge: the receiver says it has the referral (the Task leaves `requested`);
 * - decide: the receiver accepts or rejects it (or it ends otherwise).
 * Each runs from the referral's `authoredOn` for a number of working days (Monday to Friday; bank
 * holidays are not known here, so a clock over one is a day early: the safe side), per service and
 * priority, and is paused while the Task is on hold: its due time moves on by the time spent on hold.
 */
export interface SlaDays {
  acknowledge: number;
  decide: number;
}

/** The default clocks per priority (issue 11: acknowledge within 2 working days, decide within 10, for routine referrals). */
export const DEFAULT_SLA: Record<Priority, SlaDays> = {
  routine: { acknowledge: 2, decide: 10 },
  urgent: { acknowledge: 1, decide: 5 },
  asap: { acknowledge: 1, decide: 2 },
  stat: { acknowledge: 1, decide: 1 },
};

/**
 * A service's own clocks: a HealthcareService extension with sub-extensions `priority` (valueCode),
 * `acknowledge` and `decide` (valueInteger, working days), one per priority it sets.
 */
export const SLA_EXTENSION = 'https://onestory.example/fhir/StructureDefinition/referral-sla';

/** The clocks of a referral of `priority` to `service`: the service's own for that priority, else the default. */
export function slaFor(service: Pick<HealthcareService, 'extension'> | undefined, priority: Priority): SlaDays {
  const base = DEFAULT_SLA[priority] ?? DEFAULT_SLA.routine;
  for (const e of service?.extension ?? []) {
    if (e.url !== SLA_EXTENSION) continue;
    const sub = (u: string) => e.extension?.find((x) => x.url === u);
    if (sub('priority')?.valueCode !== priority) continue;
    const days = (u: string, d: number) => {
      const v = sub(u)?.valueInteger;
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 365 ? v : d;
    };
    return { acknowledge: days('acknowledge', base.acknowledge), decide: days('decide', base.decide) };
  }
  return base;
}

const DAY = 86_400_000;

/** `start` plus `days` working days (Monday to Friday), at the same time of day; a start at a weekend counts from the Monday. */
export function addWorkingDays(start: Date, days: number): Date {
  let t = start.getTime();
  const weekend = (ms: number) => {
    const d = new Date(ms).getUTCDay();
    return d === 0 || d === 6;
  };
  while (weekend(t)) t += DAY;
  let left = days;
  while (left > 0) {
    t += DAY;
    if (!weekend(t)) left--;
  }
  return new Date(t);
}

/** One version of the referral's Task: its status from `at`. */
export interface StatusAt {
  status: string;
  at: Date;
}

export type ClockKind = 'acknowledge' | 'decide';

export interface SlaClock {
  kind: ClockKind;
  /** When it is due, moved on by the time spent on hold before it stopped. */
  due: Date;
  /** When it stopped: the receiver acknowledged / decided, or the referral ended. Undefined while running. */
  stoppedAt?: Date;
  /** Whether it stopped (or, running, is now) past its due time. */
  breached: boolean;
  /** Running and the Task is on hold. */
  paused: boolean;
}

/** Statuses that stop each clock: for acknowledge, anything past `requested`; for decide, a decision or an end. */
const STOPS: Record<ClockKind, (s: string) => boolean> = {
  acknowledge: (s) => s !== 'requested' && s !== 'draft',
  decide: (s) => !['draft', 'requested', 'received', 'on-hold'].includes(s),
};

/** The two clocks of a referral authored at `authoredOn`, from its Task's versions in order, at `now`. */
export function slaClocks(authoredOn: Date, history: readonly StatusAt[], sla: SlaDays, now: Date): SlaClock[] {
  return (['acknowledge', 'decide'] as ClockKind[]).map((kind) => {
    const stop = history.find((h) => STOPS[kind](h.status));
    const until = stop ? stop.at : now;
    let held = 0;
    for (let i = 0; i < history.length; i++) {
      if (history[i].status !== 'on-hold') continue;
      const from = history[i].at.getTime();
      const to = Math.min(i + 1 < history.length ? history[i + 1].at.getTime() : now.getTime(), until.getTime());
      if (to > from) held += to - from;
    }
    const due = new Date(addWorkingDays(authoredOn, kind === 'acknowledge' ? sla.acknowledge : sla.decide).getTime() + held);
    const last = history[history.length - 1];
    return {
      kind, due, ...(stop ? { stoppedAt: stop.at } : {}),
      breached: until.getTime() > due.getTime(),
      paused: !stop && last?.status === 'on-hold',
    };
  });
}
