import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { JobOptions, JobQueue } from './job-queue';
import { JobRegistry } from './job-registry';

/** What every job gets: no BullMQ retries (processors keep their own state and schedule), bounded history. */
const DEFAULT_JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: true, removeOnFail: { count: 1000 } };

/**
 * Jobs on Redis (REDIS_URL): one BullMQ queue per job type. Any process may enqueue; workers (and the
 * server unless JOBS_IN_SERVER=false) process. A worker that dies mid-job loses its lock and BullMQ
 * hands the job to another worker once the lock expires; on SIGTERM, running jobs finish first.
 */
@Injectable()
export class BullMqJobQueue extends JobQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly connection: Redis;
  private workerConnection: Redis | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: JobRegistry,
    override readonly processesHere: boolean,
  ) {
    super();
    // Enqueueing fails fast when Redis is away, so the caller (an outbox claim) rolls back and retries later.
    this.connection = new Redis(config.redisUrl!, { maxRetriesPerRequest: 2, lazyConnect: false });
    this.connection.on('error', (err) => this.logger.warn(`Redis: ${err.message}`));
  }

  onApplicationBootstrap(): void {
    if (!this.processesHere) return;
    // Workers block on Redis: BullMQ wants a connection that retries forever.
    this.workerConnection = new Redis(this.config.redisUrl!, { maxRetriesPerRequest: null });
    this.workerConnection.on('error', (err) => this.logger.warn(`Redis (workers): ${err.message}`));
    for (const [name, handler] of this.registry.all()) {
      const worker = new Worker(name, (job) => handler.handle(job.data), {
        connection: this.workerConnection,
        prefix: this.config.jobsPrefix,
        concurrency: this.config.jobsConcurrency,
      });
      worker.on('failed', (job, err) => this.logger.error(`Job "${name}" (${job?.id ?? '?'}) failed: ${err.message}`));
      worker.on('error', (err) => this.logger.warn(`Worker "${name}": ${err.message}`));
      this.workers.push(worker);
    }
  }

  async enqueue<T>(jobName: string, data: T, options: JobOptions = {}): Promise<void> {
    await this.enqueueMany(jobName, [{ data, options }]);
  }

  override async enqueueMany<T>(jobName: string, jobs: { data: T; options?: JobOptions }[]): Promise<void> {
    this.registry.handler(jobName);
    if (!jobs.length) return;
    await this.queue(jobName).addBulk(
      jobs.map(({ data, options = {} }) => ({
        name: jobName,
        data,
        opts: {
          ...DEFAULT_JOB_OPTIONS,
          // BullMQ reserves ':' in ids.
          ...(options.jobId ? { jobId: options.jobId.replace(/:/g, '.') } : {}),
          ...(options.delayMs ? { delay: Math.max(0, Math.round(options.delayMs)) } : {}),
        },
      })),
    );
  }

  /** Running jobs finish (BullMQ's close waits for them) before the database connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await Promise.allSettled([this.connection.quit(), this.workerConnection?.quit()]);
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.config.jobsPrefix });
      queue.on('error', (err) => this.logger.warn(`Queue "${name}": ${err.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }
}
