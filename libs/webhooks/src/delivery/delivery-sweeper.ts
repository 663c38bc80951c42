import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, Clock, Every, JobQueue, Periodic } from '@portico/core';
import { WebhooksRepository } from '../webhooks.repository';
import { DELIVER_JOB, deliverJobs } from './constants';

const SWEEP_EVERY_MS = 2_000;
/** A message never claimed this long after it was due lost its job (a restart in-process, Redis flushed). */
const UNCLAIMED_MS = 60_000;
const BATCH = 1_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Queues again the pending messages nobody is sending: the database, not the queue, is the record
 * of what is still to deliver. Runs wherever jobs are processed, and at boot.
 */
@Injectable()
export class DeliverySweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly pruning = new Every(PRUNE_EVERY_MS);
  private readonly periodic = new Periodic(this.logger, 'Sweeping webhook messages', async () => {
    await this.sweep();
    if (this.pruning.due()) await this.prune();
  });

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.jobs.processesHere) this.periodic.start(SWEEP_EVERY_MS);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /**
   * Deletes messages that finished (delivered or failed for good) more than WEBHOOK_RETENTION_DAYS
   * ago, with their attempts (the foreign key cascades); pending ones stay whatever their age.
   */
  async prune(now = this.clock.now()): Promise<number> {
    try {
      const before = new Date(now.getTime() - this.config.webhookRetentionDays * 86_400_000);
      return await this.repo.pruneFinishedMessages(before);
    } catch (err) {
      this.logger.warn(`Deleting old webhook messages failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }

  async sweep(): Promise<number> {
    try {
      const now = this.clock.now();
      const ids = await this.repo.overdueMessageIds(now, new Date(now.getTime() - UNCLAIMED_MS), BATCH);
      if (!ids.length) return 0;
      await this.jobs.enqueueMany(DELIVER_JOB, deliverJobs(ids));
      return ids.length;
    } catch (err) {
      this.logger.warn(`Sweeping overdue webhook messages failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }
}
