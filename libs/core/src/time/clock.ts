import { Injectable } from '@nestjs/common';

/**
 * The time every rule that depends on it goes by (expiry, lockouts, cool-downs, billing periods):
 * one injected clock, so tests move it instead of waiting.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now();
  }
}

/** A clock for tests: real time plus an offset that tests move, so nothing sleeps. */
export class TestClock extends Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  override nowMs(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  /** Moves the clock forward by `ms` (backward when negative). */
  advance(ms: number): void {
    if (this.frozenAt === null) this.offsetMs += ms;
    else this.frozenAt += ms;
  }

  /** Puts the clock at `at`; it goes on ticking from there. */
  set(at: Date | number): void {
    this.frozenAt = null;
    this.offsetMs = toMs(at) - Date.now();
  }

  /** Stops the clock at `at` (now by default) until it is moved, set or reset. */
  freeze(at: Date | number = this.nowMs()): void {
    this.frozenAt = toMs(at);
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = null;
  }
}

function toMs(at: Date | number): number {
  return typeof at === 'number' ? at : at.getTime();
}
