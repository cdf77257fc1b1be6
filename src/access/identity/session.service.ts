import { randomUUID } from 'node:crypto';
import type { Principal } from '../principal.js';
import type { Clock, IdentitySettings } from './identity.config.js';
import { decoyHash, hashPassword, verifyPassword } from './password.service.js';
import { principalFor } from './principal.builder.js';
import { RateLimiter } from './rate-limiter.js';
import { randomToken, safeEqual, sha256 } from './secrets.js';
import type { SessionRecord, SessionRepository } from './session.repository.js';
import type { UserProfile, UserRepository } from './user.repository.js';
import { isUsableText } from './text-input.js';

/** The one message for every failed sign-in, so it never tells whether the user name exists or is locked. */
export const SIGN_IN_FAILED = 'The user name or password is not right, or the account is locked for a while after repeated failures.';

export type SignInResult =
  | { ok: true; token: string; session: SessionRecord; user: UserProfile; principal: Principal }
  | { ok: false; reason: 'invalid'; userId?: string }
  | { ok: false; reason: 'rate-limited'; retryAfterSeconds: number }
  /** Right password, but a staff member of several organisations must say which one they act for. */
  | { ok: false; reason: 'choose-organisation'; organizationIds: string[] }
  | { ok: false; reason: 'no-membership' };

export interface LiveSession {
  session: SessionRecord;
  user: UserProfile;
  principal: Principal;
}

/** How often a live session's last-seen time is written: not on every request (a write per read would cost throughput). */
const TOUCH_EVERY_MS = 60_000;
/**
 * How long a resolved session is reused before the database is asked again (as TokenVerifier does
 * for tokens): a busy workspace page costs one lookup every few seconds, not one per request.
 * Sign-out in this process takes effect at once; in another process, within this time.
 */
const RESOLVED_TTL_MS = 5_000;
const MAX_CACHED = 10_000;
/** The shortest password a user may choose for themself. */
export const MIN_OWN_PASSWORD = 12;

export class SessionService {
  private readonly limiter: RateLimiter;
  private readonly resolved = new Map<string, { live: LiveSession; at: number }>();

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    private readonly settings: IdentitySettings,
  ) {
    this.limiter = new RateLimiter(clock, () => settings.addressFailureLimit, () => settings.addressFailureWindowMs);
  }

  /**
   * Checks the password (with the address's failure budget and the account's lockout) and, on
   * success, opens a session. Only a wrong password (or an unknown, disabled or locked account)
   * spends the address's budget: a right one never does, even when an organisation must be chosen.
   */
  async signIn(input: { username: string; password: string; organizationId?: string; clientKey: string }): Promise<SignInResult> {
    const wait = this.limiter.retryAfter(input.clientKey);
    if (wait > 0) return { ok: false, reason: 'rate-limited', retryAfterSeconds: wait };
    const user = await this.checkPassword(input.username, input.password);
    if (!user) {
      this.limiter.recordFailure(input.clientKey);
      return { ok: false, reason: 'invalid', userId: undefined };
    }
    let organizationId: string | undefined;
    if (user.kind === 'staff') {
      if (user.memberships.length === 0) return { ok: false, reason: 'no-membership' };
      if (input.organizationId) {
        if (!user.memberships.some((m) => m.organizationId === input.organizationId)) {
          return { ok: false, reason: 'choose-organisation', organizationIds: user.memberships.map((m) => m.organizationId) };
        }
        organizationId = input.organizationId;
      } else if (user.memberships.length === 1) organizationId = user.memberships[0].organizationId;
      else return { ok: false, reason: 'choose-organisation', organizationIds: user.memberships.map((m) => m.organizationId) };
    }
    const now = this.clock.now();
    const token = randomToken();
    const session = {
      id: randomUUID(),
      userId: user.id,
      ...(organizationId ? { organizationId } : {}),
      csrfToken: randomToken(),
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: new Date(now.getTime() + this.settings.sessionIdleMs),
      absoluteExpiresAt: new Date(now.getTime() + this.settings.sessionAbsoluteMs),
    };
    const principal = principalFor(user, { via: 'session', credentialId: session.id, organizationId });
    if (!principal) return { ok: false, reason: 'no-membership' };
    await this.sessions.insert({ ...session, tokenHash: sha256(token) });
    return { ok: true, token, session, user, principal };
  }

  /**
   * The user if the password is right and the account usable; otherwise undefined, having counted
   * the failure. Unknown, disabled and locked accounts cost one scrypt too, so timing tells nothing.
   */
  async checkPassword(username: string, password: string): Promise<UserProfile | undefined> {
    // A name no account can have (too long, a NUL) is a failed sign-in, never a query PostgreSQL refuses.
    const user = isUsableText(username, { max: 200 }) ? await this.users.findByUsername(username) : undefined;
    const now = this.clock.now();
    if (!user || user.disabled) {
      await verifyPassword(password, await decoyHash());
      return undefined;
    }
    const right = await verifyPassword(password, user.passwordHash);
    if (user.lockedUntil && user.lockedUntil > now) return undefined;
    if (!right) {
      await this.users.recordFailure(user.id, this.settings.maxFailedAttempts, new Date(now.getTime() + this.settings.lockoutMs));
      return undefined;
    }
    await this.users.recordSuccess(user.id);
    return user;
  }

  /** The live session for a cookie token, or undefined (unknown, ended, idle too long or too old). */
  async resolve(token: string): Promise<LiveSession | undefined> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const now = this.clock.now();
    const key = sha256(token);
    const hit = this.resolved.get(key);
    const t = now.getTime();
    if (hit && t >= hit.at && t - hit.at < RESOLVED_TTL_MS && hit.live.session.idleExpiresAt > now && hit.live.session.absoluteExpiresAt > now) return hit.live;
    const live = await this.lookUp(key, now);
    if (live) {
      if (this.resolved.size >= MAX_CACHED) this.resolved.clear();
      this.resolved.set(key, { live, at: t });
    } else this.resolved.delete(key);
    return live;
  }

  private async lookUp(key: string, now: Date): Promise<LiveSession | undefined> {
    const found = await this.sessions.findLive(key, now);
    if (!found) return undefined;
    const { session, user } = found;
    const principal = principalFor(user, { via: 'session', credentialId: session.id, organizationId: session.organizationId });
    if (!principal) return undefined; // the membership the session was opened for has since gone
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      const idle = new Date(now.getTime() + this.settings.sessionIdleMs);
      await this.sessions.touch(session.id, now, idle);
      session.lastSeenAt = now;
      session.idleExpiresAt = idle < session.absoluteExpiresAt ? idle : session.absoluteExpiresAt;
    }
    return { session, user, principal };
  }

  checkCsrf(session: SessionRecord, given: string | undefined): boolean {
    return typeof given === 'string' && given.length > 0 && safeEqual(given, session.csrfToken);
  }

  /**
   * Ends every session of a user at once, in this process's cache too (an account disabled or given
   * a new password must not stay signed in for the cache's few seconds). Other processes follow
   * within RESOLVED_TTL_MS: their next lookup finds the session ended.
   */
  async endAllFor(userId: string): Promise<number> {
    const ended = await this.sessions.endAllFor(userId, this.clock.now());
    for (const [k, v] of this.resolved) if (v.live.user.id === userId) this.resolved.delete(k);
    return ended.length;
  }

  /**
   * The user's own new password, replacing a temporary one an administrator gave (or their old one).
   * Returns the problem, naming the field, or undefined when it is set; the session stays signed in.
   */
  async choosePassword(user: UserProfile, password: string, confirm: string): Promise<{ field: 'password' | 'confirm'; text: string } | undefined> {
    if (password.length < MIN_OWN_PASSWORD) return { field: 'password', text: `Password must be at least ${MIN_OWN_PASSWORD} characters` };
    if (!isUsableText(password, { max: 1024, allowControl: true })) return { field: 'password', text: 'Password must be 1,024 characters or fewer, without a NUL character' };
    if (confirm !== password) return { field: 'confirm', text: 'The passwords do not match' };
    if (await verifyPassword(password, user.passwordHash)) return { field: 'password', text: 'Choose a password different from the one you were given' };
    await this.users.setPassword(user.id, await hashPassword(password), false);
    this.forgetUser(user.id);
    return undefined;
  }

  /** Forgets this process's cached sessions of a user, so their next request reads the account afresh. */
  forgetUser(userId: string): void {
    for (const [k, v] of this.resolved) if (v.live.user.id === userId) this.resolved.delete(k);
  }

  async signOut(sessionId: string): Promise<boolean> {
    for (const [k, v] of this.resolved) if (v.live.session.id === sessionId) this.resolved.delete(k);
    return this.sessions.end(sessionId, this.clock.now());
  }
}
