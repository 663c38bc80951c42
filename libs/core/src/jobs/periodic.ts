import type { Logger } from '@nestjs/common';

/**
 * Background work on a timer (sweeps, prunes): never two runs at once, a failure logged as one line
 * and tried again at the next tick, and `stop` waits for the run under way so a shutdown does not
 * cut it off. The timer does not keep the process alive.
 */
export class Periodic {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | null = null;

  /** `what` names the work in the log line ("Sweeping queued mail" → "Sweeping queued mail failed: …"). */
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly work: (first: boolean) => Promise<unknown>,
  ) {}

  /** Runs every `everyMs`; the first run after `firstAfterMs` when given (0: now), else after `everyMs`. */
  start(everyMs: number, firstAfterMs?: number): void {
    this.stopTimers();
    if (firstAfterMs !== undefined) this.timers.push(setTimeout(() => void this.run(true), firstAfterMs));
    this.timers.push(setInterval(() => void this.run(false), everyMs));
    for (const t of this.timers) t.unref();
  }

  /** One run now, unless one is under way (then that one); never rejects. `first`: the run `start` scheduled first. */
  run(first = false): Promise<void> {
    if (this.running) return this.running;
    this.running = this.work(first)
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn(`${this.what} failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopTimers();
    await this.running;
  }

  private stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
