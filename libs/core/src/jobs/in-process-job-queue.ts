import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { AppConfig } from '../config/app-config';
import { JobHandler, JobOptions, JobQueue } from './job-queue';
import { JobRegistry } from './job-registry';

interface Lane {
  running: number;
  waiting: (() => void)[];
}

/**
 * Jobs on the embedded default (no Redis): run in this process, after the current call returns,
 * at most JOBS_CONCURRENCY at a time per job type. Work that must survive a restart keeps its state
 * in the database and is picked up again at boot by its own module (webhook deliveries: the
 * sweeper); this queue only schedules it.
 */
@Injectable()
export class InProcessJobQueue extends JobQueue implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  /** Jobs with an id, from enqueue until they start: the same id is not added twice. */
  private readonly queued = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  // Jobs run in the context of the boot, not of whoever enqueued them: a job enqueued inside a
  // transaction must not find that (by then finished) transaction as its own.
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor(
    private readonly registry: JobRegistry,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async enqueue<T>(jobName: string, data: T, options: JobOptions = {}): Promise<void> {
    const handler = this.registry.handler(jobName);
    if (this.stopped) return;
    const key = options.jobId ? `${jobName}:${options.jobId}` : null;
    if (key) {
      if (this.queued.has(key)) return;
      this.queued.add(key);
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.whenFree(jobName, () => {
        if (key) this.queued.delete(key);
        this.detached(() => this.run(jobName, handler, data));
      });
    }, options.delayMs ?? 0);
    timer.unref();
    this.timers.add(timer);
  }

  /** Jobs in flight finish (before the database closes); jobs not started are dropped (their state is in the database). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const lane of this.lanes.values()) lane.waiting.length = 0;
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private whenFree(jobName: string, start: () => void): void {
    let lane = this.lanes.get(jobName);
    if (!lane) this.lanes.set(jobName, (lane = { running: 0, waiting: [] }));
    if (lane.running < this.config.jobsConcurrency) start();
    else lane.waiting.push(start);
  }

  private run(jobName: string, handler: JobHandler, data: unknown): void {
    const lane = this.lanes.get(jobName)!;
    lane.running++;
    const run = handler
      .handle(data)
      .catch((err: unknown) => this.logger.error(`Job "${jobName}" failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.running.delete(run);
        lane.running--;
        if (!this.stopped) lane.waiting.shift()?.();
      });
    this.running.add(run);
  }
}
