import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { JOB_PROCESSOR, JobHandler, JobOptions, JobQueue } from './job-queue';

/**
 * Jobs on the embedded default (no Redis): run in this process after the current request. Work
 * that must survive a restart keeps its state in the database and is picked up again at boot by
 * its own module; this queue only schedules it.
 */
@Injectable()
export class InProcessJobQueue extends JobQueue implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<string, JobHandler>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly discovery: DiscoveryService) {
    super();
  }

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const name = wrapper.metatype ? (Reflect.getMetadata(JOB_PROCESSOR, wrapper.metatype) as string | undefined) : undefined;
      if (name && wrapper.instance) this.handlers.set(name, wrapper.instance as JobHandler);
    }
  }

  async enqueue<T>(jobName: string, data: T, options: JobOptions = {}): Promise<void> {
    const handler = this.handlers.get(jobName);
    if (!handler) throw new Error(`No processor for job "${jobName}"`);
    if (this.stopped) return;
    const key = options.jobId ? `${jobName}:${options.jobId}` : null;
    if (key && this.pending.has(key)) return;
    const timer = setTimeout(() => {
      if (key) this.pending.delete(key);
      const run = handler
        .handle(data)
        .catch((err: unknown) => this.logger.error(`Job "${jobName}" failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }, options.delayMs ?? 0);
    timer.unref();
    if (key) this.pending.set(key, timer);
  }

  /** Jobs in flight finish; jobs not started are dropped (their state is in the database). */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await Promise.allSettled([...this.running]);
  }
}
