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

/** A clock for tests: real time plus an offset that `advance` and `set` move, so nothing sleeps. */
export class TestClock extends Clock {
  private offsetMs = 0;

  override nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the clock forward by `ms` (backward when negative). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Puts the clock at `at`; it goes on ticking from there. */
  set(at: Date | number): void {
    this.offsetMs = (typeof at === 'number' ? at : at.getTime()) - Date.now();
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
