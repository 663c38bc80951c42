import { Injectable } from '@nestjs/common';
import { Clock } from '@portico/core';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitView {
  state: CircuitState;
  consecutiveFailures: number;
  openUntil: Date | null;
  lastFailure: string | null;
  lastFailureAt: Date | null;
}

/**
 * One provider's breaker. Closed: calls go out. After `threshold` failures in a row it opens and
 * no call goes out for `cooldownMs`; then one trial call may go (half-open): its success closes
 * the breaker, its failure opens it again for another cool-down.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;
  private lastFailure: { message: string; at: number } | null = null;

  constructor(private readonly options: { threshold: () => number; cooldownMs: () => number; now: () => number }) {}

  /** Whether a call may go out now; a true in half-open reserves the single trial call. */
  tryAcquire(): boolean {
    if (this.openedAt === null) return true;
    if (this.options.now() - this.openedAt < this.options.cooldownMs()) return false;
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  succeeded(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failed(message: string): void {
    const now = this.options.now();
    this.failures += 1;
    this.lastFailure = { message, at: now };
    if (this.trialInFlight || this.failures >= this.options.threshold()) this.openedAt = now;
    this.trialInFlight = false;
  }

  /** A call that says nothing about the provider's health (refused by policy): frees the trial slot. */
  released(): void {
    this.trialInFlight = false;
  }

  view(): CircuitView {
    const now = this.options.now();
    let state: CircuitState = 'closed';
    if (this.openedAt !== null) state = now - this.openedAt < this.options.cooldownMs() ? 'open' : 'half-open';
    return {
      state,
      consecutiveFailures: this.failures,
      openUntil: state === 'open' && this.openedAt !== null ? new Date(this.openedAt + this.options.cooldownMs()) : null,
      lastFailure: this.lastFailure?.message ?? null,
      lastFailureAt: this.lastFailure ? new Date(this.lastFailure.at) : null,
    };
  }
}

/**
 * The breakers of all providers, in this server's memory: each instance of a scaled deployment
 * learns on its own that a provider is down, which costs at most `threshold` calls per instance.
 * A small state machine rather than a library: the rule wanted is "N failures in a row", which
 * percentage-over-a-window breakers (opossum) only approximate, and their own timeouts would
 * duplicate the outbound client's.
 */
@Injectable()
export class ProviderCircuitBreakers {
  /** Failures in a row that open a provider's breaker. */
  threshold = 5;
  /** How long an open breaker refuses calls before it lets one trial through. */
  cooldownMs = 30_000;

  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly clock: Clock) {}

  of(providerId: string): CircuitBreaker {
    let breaker = this.breakers.get(providerId);
    if (!breaker) {
      breaker = new CircuitBreaker({ threshold: () => this.threshold, cooldownMs: () => this.cooldownMs, now: () => this.clock.nowMs() });
      this.breakers.set(providerId, breaker);
    }
    return breaker;
  }

  view(providerId: string): CircuitView {
    return this.of(providerId).view();
  }

  /** A changed or deleted provider starts afresh. */
  reset(providerId: string): void {
    this.breakers.delete(providerId);
  }
}
