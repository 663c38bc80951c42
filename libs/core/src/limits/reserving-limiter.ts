import type { DoorLimiter, RateVerdict } from './rate-limits';

interface Allowance {
  left: number;
  /** When the window the points were taken from ends. */
  until: number;
  /** Refused until then. */
  blockedUntil: number;
  /** Requests left in the shared counter when the points were taken. */
  shared: number;
  pending: Promise<void> | null;
}

const SWEEP_ABOVE = 10_000;

/**
 * A door limiter for a hot path: each instance takes points from the shared counter in chunks (a
 * twentieth of the quota) and spends them locally, so most requests are decided without a call to
 * the store. Cost: an instance may be refused up to one chunk early while others hold unspent points.
 */
export class ReservingLimiter {
  private readonly chunk: number;
  private readonly allowances = new Map<string, Allowance>();

  constructor(
    readonly door: DoorLimiter,
    private readonly now: () => number = Date.now,
  ) {
    this.chunk = Math.max(1, Math.floor(door.policy.perSecond / 20));
  }

  /** A verdict at once when this instance holds points for `key`, else after taking a chunk. */
  consume(key: string): RateVerdict | Promise<RateVerdict> {
    const now = this.now();
    const a = this.allowances.get(key);
    if (a) {
      if (a.blockedUntil > now) return { allowed: false, remaining: 0, resetMs: a.blockedUntil - now };
      if (a.left > 0 && a.until > now) {
        a.left--;
        return { allowed: true, remaining: Math.max(0, a.shared + a.left), resetMs: a.until - now };
      }
      if (a.pending) return a.pending.then(() => this.consume(key));
    }
    return this.reserve(key, now);
  }

  private async reserve(key: string, now: number): Promise<RateVerdict> {
    if (this.allowances.size > SWEEP_ABOVE) this.sweep(now);
    const a: Allowance = this.allowances.get(key) ?? { left: 0, until: 0, blockedUntil: 0, shared: 0, pending: null };
    this.allowances.set(key, a);
    let verdict!: RateVerdict;
    a.pending = this.door.consume(key, this.chunk).then((v) => {
      verdict = v;
      const at = this.now();
      if (v.allowed) Object.assign(a, { left: this.chunk - 1, until: at + v.resetMs, shared: v.remaining, blockedUntil: 0 });
      else Object.assign(a, { left: 0, blockedUntil: at + v.resetMs });
    });
    await a.pending;
    a.pending = null;
    return verdict.allowed ? { ...verdict, remaining: verdict.remaining + a.left } : verdict;
  }

  private sweep(now: number): void {
    for (const [key, a] of this.allowances) if (!a.pending && a.until <= now && a.blockedUntil <= now) this.allowances.delete(key);
  }
}
