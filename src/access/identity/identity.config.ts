/** The rules of sign-in, sessions and tokens, in one place so tests and deployments can see them. */
export interface IdentitySettings {
  /** Consecutive failed sign-ins before an account is locked, and for how long. */
  maxFailedAttempts: number;
  lockoutMs: number;
  /**
   * Failed sign-ins allowed per client address per window (brute force across many accounts);
   * successful ones never count, so colleagues behind one hospital address cannot lock each other out.
   */
  addressFailureLimit: number;
  addressFailureWindowMs: number;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  authorizationCodeMs: number;
  accessTokenSeconds: number;
}

export const DEFAULT_SETTINGS: IdentitySettings = {
  maxFailedAttempts: 5,
  lockoutMs: 15 * 60_000,
  addressFailureLimit: 20,
  addressFailureWindowMs: 5 * 60_000,
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 12 * 3600_000,
  authorizationCodeMs: 2 * 60_000,
  accessTokenSeconds: 10 * 60,
};

/** Identity reads the time from the platform's one clock (src/clock.ts), so tests move it instead of sleeping. */
export { systemClock, type Clock } from '../../clock.js';
