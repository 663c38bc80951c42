import { SetMetadata } from '@nestjs/common';

export const JOB_PROCESSOR = 'portico:job-processor';

/**
 * Marks a provider as the one processor of a job type. The same class runs in both modes: on
 * BullMQ when REDIS_URL is set (in apps/worker, optionally in the server), in-process otherwise.
 */
export const JobProcessor = (jobName: string): ClassDecorator => SetMetadata(JOB_PROCESSOR, jobName);

/** What a processor implements. Throwing marks the attempt failed (the queue decides about retries). */
export interface JobHandler<T = unknown> {
  handle(data: T): Promise<void>;
}

/** How many jobs of one type are in one state. */
export interface JobDepth {
  queue: string;
  state: 'waiting' | 'active' | 'delayed' | 'failed';
  count: number;
}

export interface JobOptions {
  /** A job with the same id as one still queued or running is not added twice. */
  jobId?: string;
  delayMs?: number;
}

/** The one way modules start background work; the implementation is chosen at boot. */
export abstract class JobQueue {
  /** False in a server that leaves jobs to workers (REDIS_URL with JOBS_IN_SERVER=false). */
  readonly processesHere: boolean = true;

  /** Whether the queue's store answers right now (readiness); in-process it always does. */
  async available(): Promise<boolean> {
    return true;
  }

  /** The queues' depths, for the metrics (job types with nothing queued may be left out). */
  abstract depths(): Promise<JobDepth[]>;

  abstract enqueue<T>(jobName: string, data: T, options?: JobOptions): Promise<void>;

  /** Several jobs of one type at once (one round trip on Redis). */
  async enqueueMany<T>(jobName: string, jobs: { data: T; options?: JobOptions }[]): Promise<void> {
    for (const job of jobs) await this.enqueue(jobName, job.data, job.options);
  }
}
