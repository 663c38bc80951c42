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

export interface JobOptions {
  /** A job with the same id as one still queued or running is not added twice. */
  jobId?: string;
  delayMs?: number;
}

/** The one way modules start background work; the implementation is chosen at boot. */
export abstract class JobQueue {
  abstract enqueue<T>(jobName: string, data: T, options?: JobOptions): Promise<void>;
}
