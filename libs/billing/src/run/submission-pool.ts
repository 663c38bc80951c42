import pLimit, { Limit } from 'p-limit';

/**
 * Bounded concurrency for tenant API calls (p-limit holds the slots), with retries that wait on a
 * timer rather than in a slot (a tenant that keeps failing must not hold up the others). `add`
 * resolves once the task has a slot, so a producer reading organizations page by page never gets
 * ahead of the calls.
 */
export class SubmissionPool {
  private readonly slots: Limit;
  private running = 0;
  private waiting = 0;
  /** Starts of tasks still waiting for a slot: close() calls them so their add() resolves. */
  private readonly starts = new Set<() => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private failure: unknown = null;
  private closed = false;

  constructor(limit: number) {
    this.slots = pLimit(limit);
  }

  async add(task: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    if (this.closed) return;
    this.waiting++;
    await new Promise<void>((started) => {
      const start = () => {
        this.waiting--;
        started();
      };
      this.starts.add(start);
      void this.slots(async () => {
        // Dropped by close(): its add() has already resolved.
        if (!this.starts.delete(start)) return;
        start();
        this.running++;
        try {
          await task();
        } catch (err) {
          this.failure ??= err;
          this.close();
        } finally {
          this.running--;
          this.checkIdle();
        }
      });
    });
  }

  /** Runs the task after a wait, in a slot like any other. */
  later(delayMs: number, task: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.add(task)
        .catch(() => undefined)
        .finally(() => this.checkIdle());
    }, delayMs);
    this.timers.add(timer);
  }

  /** Resolves when nothing runs, waits for a slot or waits on a timer; rejects with a task's error. */
  async drain(): Promise<void> {
    if (!this.idle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.throwIfFailed();
  }

  /** Stops starting anything: waiting tasks and timers are dropped, running ones finish. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.slots.clearQueue();
    for (const start of this.starts) start();
    this.starts.clear();
    this.checkIdle();
  }

  private idle(): boolean {
    return this.running === 0 && this.waiting === 0 && this.timers.size === 0;
  }

  private checkIdle(): void {
    if (this.idle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
