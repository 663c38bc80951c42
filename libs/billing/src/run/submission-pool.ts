/**
 * Bounded concurrency for tenant API calls, with retries that wait on a timer rather than in a
 * slot (a tenant that keeps failing must not hold up the others). `add` resolves once the task has
 * a slot, so a producer reading organizations page by page never gets ahead of the calls.
 */
export class SubmissionPool {
  private running = 0;
  private queued = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private failure: unknown = null;
  private closed = false;

  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    this.queued++;
    while (this.running >= this.limit && !this.closed) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.queued--;
    if (this.closed) return this.checkIdle();
    this.running++;
    void task()
      .catch((err: unknown) => {
        this.failure ??= err;
        this.close();
      })
      .finally(() => {
        this.running--;
        this.slotWaiters.shift()?.();
        this.checkIdle();
      });
  }

  /** Runs the task after a wait, in a slot like any other. */
  later(delayMs: number, task: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.add(task).catch(() => undefined);
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
    for (const wake of this.slotWaiters.splice(0)) wake();
    this.checkIdle();
  }

  private idle(): boolean {
    return this.running === 0 && this.queued === 0 && this.timers.size === 0;
  }

  private checkIdle(): void {
    if (this.idle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
