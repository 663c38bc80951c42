import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import pLimit, { Limit } from 'p-limit';
import { AppConfig } from '../config/app-config';
import { JobDepth, JobHandler, JobOptions, JobQueue } from './job-queue';
import { JobRegistry } from './job-registry';

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
  /** One p-limit per job type. */
  private readonly lanes = new Map<string, Limit>();
  private readonly running = new Set<Promise<void>>();
  /** Per job type: jobs whose (delay) timer has not fired yet. */
  private readonly delayed = new Map<string, number>();
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
    this.delayed.set(jobName, (this.delayed.get(jobName) ?? 0) + 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.delayed.set(jobName, this.delayed.get(jobName)! - 1);
      void this.lane(jobName)(() => {
        if (key) this.queued.delete(key);
        if (this.stopped) return;
        return this.detached(() => this.run(jobName, handler, data));
      });
    }, options.delayMs ?? 0);
    timer.unref();
    this.timers.add(timer);
  }

  async depths(): Promise<JobDepth[]> {
    const depths: JobDepth[] = [];
    for (const [queue, count] of this.delayed) depths.push({ queue, state: 'delayed', count });
    for (const [queue, lane] of this.lanes) {
      depths.push({ queue, state: 'waiting', count: lane.pendingCount }, { queue, state: 'active', count: lane.activeCount });
    }
    return depths;
  }

  /** Jobs in flight finish (before the database closes); jobs not started are dropped (their state is in the database). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const lane of this.lanes.values()) lane.clearQueue();
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private lane(jobName: string): Limit {
    let lane = this.lanes.get(jobName);
    if (!lane) this.lanes.set(jobName, (lane = pLimit(this.config.jobsConcurrency)));
    return lane;
  }

  private run(jobName: string, handler: JobHandler, data: unknown): Promise<void> {
    const run = handler
      .handle(data)
      .catch((err: unknown) => this.logger.error(`Job "${jobName}" failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return run;
  }
}
