import { Injectable } from '@nestjs/common';
import { Clock, CounterMetric, Every, Metrics, TransactionService } from '@portico/core';
import { AuthRepository } from '../auth.repository';
import type { LoginThrottle } from '../entities/login-throttle.entity';
import type { LockoutView } from '../settings/auth-settings.dto';

export type ThrottleKind = 'password' | 'authenticator' | 'signup' | 'autologin' | 'verification-mail' | 'password-reset-mail';

export interface ThrottlePolicy {
  maxFailures: number;
  baseWaitSeconds: number;
  maxWaitSeconds: number;
}

/** The throttle policy Global Configuration › Authentication sets for a kind of secret. */
export function lockoutPolicy(lockout: LockoutView, kind: 'password' | 'authenticator'): ThrottlePolicy {
  return {
    maxFailures: kind === 'password' ? lockout.maxPasswordFailures : lockout.maxAuthenticatorFailures,
    baseWaitSeconds: lockout.baseWaitSeconds,
    maxWaitSeconds: lockout.maxWaitSeconds,
  };
}

export type Reservation = { allowed: true; keys: string[] } | { allowed: false; retryAfterSeconds: number };

// A client IP may fail more often than one account before it is locked out: several people can
// share an address (an office, a NAT), but a spray across many accounts still stops.
const IP_FACTOR = 5;

// A key left alone this long starts afresh, and its row goes (Keycloak's "failure reset time" is 12 h
// by default): the table holds recent attempts, not every account and address ever seen. A lockout
// lasts at most 24 h (maxWaitSeconds), and a key still locked is never forgotten early.
const FAILURE_RESET_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Brute-force protection. Each attempt first *reserves* a failure on its account key and its IP key,
 * atomically (row lock on PostgreSQL, the single writer on SQLite); only then is the secret checked.
 * So however many wrong guesses arrive at once, no more than the limit are ever checked. A success
 * gives the reservation back; a failure that reaches the limit locks the key for a wait that doubles
 * with each lockout, up to the maximum.
 */
@Injectable()
export class LoginThrottleService {
  private readonly pruning = new Every(PRUNE_EVERY_MS);

  constructor(
    private readonly tx: TransactionService,
    private readonly repository: AuthRepository,
    private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.lockouts = metrics.counter({
      name: 'portico_lockouts_total',
      help: 'Locks imposed after too many wrong secrets, by what was guessed (password, authenticator…) and what got locked (account or address)',
      labelNames: ['kind', 'scope'],
    });
  }

  private readonly lockouts: CounterMetric<'kind' | 'scope'>;

  /** Deletes the rows of keys untouched for FAILURE_RESET_MS and not locked now; how many went. */
  async prune(now = this.clock.now()): Promise<number> {
    return this.repository.pruneThrottle(new Date(now.getTime() - FAILURE_RESET_MS), now);
  }

  /**
   * What a sign-in's failures count against: the account when the typed name finds one (its email
   * and its username are one account), else the typed name, so unknown names are throttled alike.
   */
  accountKey(tenantId: string | null, login: string, accountId: string | null): string {
    return accountId ? `user:${accountId}` : `${tenantId ?? 'direct'}:${login.trim()}`;
  }

  /** `account` may be null where there is none to count against (an autologin token naming no tenant): the IP alone counts. */
  keys(kind: ThrottleKind, account: string | null, ip: string | null): { account: string | null; ip: string | null } {
    return { account: account === null ? null : `${kind}:acct:${account.toLowerCase()}`, ip: ip ? `${kind}:ip:${ip}` : null };
  }

  async reserve(kind: ThrottleKind, account: string | null, ip: string | null, policy: ThrottlePolicy): Promise<Reservation> {
    if (this.pruning.due()) await this.prune();
    const limits = this.limits(this.keys(kind, account, ip), policy);
    if (!limits.length) return { allowed: true, keys: [] };
    return this.tx.run(async () => {
      const now = this.clock.nowMs();
      const rows: LoginThrottle[] = [];
      const locked = await this.repository.lockThrottleRows(limits.map(([key]) => key));
      for (const [key, max] of limits) {
        const row = locked.get(key)!;
        if (row.lockedUntil && row.lockedUntil.getTime() > now)
          return { allowed: false, retryAfterSeconds: secondsUntil(row.lockedUntil, now) };
        if (row.lockedUntil) {
          row.lockedUntil = null;
          row.failures = 0;
        }
        if (row.failures >= max) return { allowed: false, retryAfterSeconds: policy.baseWaitSeconds };
        rows.push(row);
      }
      for (const row of rows) {
        row.failures += 1;
        await this.repository.storeThrottle(row);
      }
      return { allowed: true, keys: rows.map((r) => r.key) };
    });
  }

  /** The secret was right: the account starts afresh and the IP gets its reservation back. */
  async succeeded(kind: ThrottleKind, account: string | null, ip: string | null): Promise<void> {
    const k = this.keys(kind, account, ip);
    await this.tx.run(async () => {
      if (k.account) await this.repository.resetThrottle(k.account);
      if (k.ip) await this.repository.giveBackThrottle(k.ip);
    });
  }

  /** The secret could not be checked at all (a provider outage): both keys get their reservation back, nothing is reset. */
  async released(kind: ThrottleKind, account: string | null, ip: string | null): Promise<void> {
    const k = this.keys(kind, account, ip);
    await this.tx.run(async () => {
      for (const key of [k.account, k.ip]) if (key) await this.repository.giveBackThrottle(key);
    });
  }

  /** The secret was wrong: the reservation stands; at the limit the key is locked. Returns the wait set, if any. */
  async failed(kind: ThrottleKind, account: string | null, ip: string | null, policy: ThrottlePolicy): Promise<number | null> {
    const keys = this.keys(kind, account, ip);
    const limits = this.limits(keys, policy);
    if (!limits.length) return null;
    const imposed: string[] = [];
    const wait = await this.tx.run(async () => {
      let wait: number | null = null;
      const locked = await this.repository.lockThrottleRows(limits.map(([key]) => key));
      for (const [key, max] of limits) {
        const row = locked.get(key)!;
        if (row.failures >= max && !row.lockedUntil) {
          row.lockouts += 1;
          const seconds = Math.min(policy.baseWaitSeconds * 2 ** (row.lockouts - 1), policy.maxWaitSeconds);
          row.lockedUntil = new Date(this.clock.nowMs() + seconds * 1000);
          row.failures = 0;
          await this.repository.storeThrottle(row);
          wait = Math.max(wait ?? 0, seconds);
          imposed.push(key);
        }
      }
      return wait;
    });
    for (const key of imposed) this.lockouts.inc({ kind, scope: key === keys.account ? 'account' : 'address' });
    return wait;
  }

  private limits(k: { account: string | null; ip: string | null }, policy: ThrottlePolicy): [string, number][] {
    const limits: [string, number][] = [];
    if (k.account) limits.push([k.account, policy.maxFailures]);
    if (k.ip) limits.push([k.ip, policy.maxFailures * IP_FACTOR]);
    return limits;
  }
}

function secondsUntil(at: Date, now: number): number {
  return Math.max(1, Math.ceil((at.getTime() - now) / 1000));
}
