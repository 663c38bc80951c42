import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { JobDepth, JobOptions, JobQueue } from './job-queue';
import { JobRegistry } from './job-registry';
import { closeRedis, connectRedis, redisAnswers, RedisUnavailableError, whenRedisReady } from './redis';

/** What every job gets: no BullMQ retries (processors keep their own state and schedule), bounded history. */
const DEFAULT_JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: true, removeOnFail: { count: 1000 } };
// Beyond the connection's own command timeout: BullMQ first waits for its connection to be ready.
const ENQUEUE_TIMEOUT_MS = 3_000;
const WHAT = 'the job queue';

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
    // Enqueueing fails fast (a 503) while Redis is away: callers never hang, and retry later.
    this.connection = connectRedis(config.redisUrl!, 'jobs');
  }

  override available(): Promise<boolean> {
    return redisAnswers(this.connection);
  }

  onApplicationBootstrap(): void {
    if (!this.processesHere) return;
    // Workers block on Redis: BullMQ wants a connection that retries forever.
    this.workerConnection = connectRedis(this.config.redisUrl!, 'job workers', { maxRetriesPerRequest: null });
    for (const [name, handler] of this.registry.all()) {
      const worker = new Worker(name, (job) => handler.handle(job.data), {
        connection: this.workerConnection,
        prefix: this.config.jobsPrefix,
        concurrency: this.config.jobsConcurrency,
      });
      worker.on('failed', (job, err) => this.logger.error(`Job "${name}" (${job?.id ?? '?'}) failed: ${err.message}`));
      // While Redis is away every reconnect attempt is an error: the connection reports the outage once.
      worker.on('error', (err) => this.workerConnection?.status === 'ready' && this.logger.warn(`Worker "${name}": ${err.message}`));
      this.workers.push(worker);
    }
  }

  /** Every job type's counts on Redis (all processes of the deployment share them); a scrape never waits for Redis. */
  async depths(): Promise<JobDepth[]> {
    if (this.connection.status !== 'ready') throw new RedisUnavailableError(WHAT);
    const states = ['waiting', 'active', 'delayed', 'failed'] as const;
    const counts = Promise.all(
      [...this.registry.all().keys()].map(async (name) => [name, await this.queue(name).getJobCounts(...states)] as const),
    );
    counts.catch(() => undefined);
    return (await withTimeout(counts, ENQUEUE_TIMEOUT_MS)).flatMap(([queue, c]) =>
      states.map((state) => ({ queue, state, count: c[state] ?? 0 })),
    );
  }

  async enqueue<T>(jobName: string, data: T, options: JobOptions = {}): Promise<void> {
    await this.enqueueMany(jobName, [{ data, options }]);
  }

  override async enqueueMany<T>(jobName: string, jobs: { data: T; options?: JobOptions }[]): Promise<void> {
    this.registry.handler(jobName);
    if (!jobs.length) return;
    await whenRedisReady(this.connection, WHAT);
    const queue = this.queue(jobName);
    const added = queue.addBulk(
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
    try {
      await withTimeout(added, ENQUEUE_TIMEOUT_MS);
    } catch (err) {
      added.catch(() => undefined);
      this.logger.warn(`Enqueueing "${jobName}" failed: ${err instanceof Error ? err.message : String(err)}`);
      // A queue whose start failed stays failed in BullMQ: the next enqueue makes a new one.
      this.queues.delete(jobName);
      queue.close().catch(() => undefined);
      throw new RedisUnavailableError(WHAT);
    }
  }

  /**
   * Running jobs finish (BullMQ's close waits for them) before the database connection closes. While
   * Redis does not answer there is nothing to finish, and waiting for a connection would never end.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const reachable = this.connection.status === 'ready';
    await Promise.allSettled(this.workers.map((w) => w.close(!reachable)));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await Promise.allSettled([closeRedis(this.connection), closeRedis(this.workerConnection)]);
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.config.jobsPrefix });
      queue.on('error', (err) => this.connection.status === 'ready' && this.logger.warn(`Queue "${name}": ${err.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }
}

/** `work`, or a rejection once `ms` have passed (the work itself goes on). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
