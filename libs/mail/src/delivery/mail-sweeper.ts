import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, Clock, Every, JobQueue, Periodic } from '@portico/core';
import { MailRepository } from '../mail.repository';
import { MAIL_DELIVER_JOB } from './constants';

const SWEEP_EVERY_MS = 5_000;
/** A queued mail never claimed this long after it was due lost its job (a restart in-process, Redis flushed). */
const UNCLAIMED_MS = 30_000;
const BATCH = 500;
const PRUNE_EVERY_MS = 3_600_000;
/** Mail (its envelope, and the body of Mailbox mail) is kept this long. */
export const MAIL_RETENTION_MS = 30 * 86_400_000;

/**
 * Queues again the mail nobody is sending (the table, not the queue, is the record of what is
 * still to send): at boot everything due, then periodically what a lost job left behind.
 */
@Injectable()
export class MailSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly pruning = new Every(PRUNE_EVERY_MS);
  // At boot no grace: whatever is due goes now (a claim keeps two processes from sending one mail).
  private readonly periodic = new Periodic(this.logger, 'Sweeping mail', async (first) => {
    if (this.config.smtpUrl) await this.sweep(first ? 0 : UNCLAIMED_MS);
    if (!first && this.pruning.due()) await this.prune();
  });

  constructor(
    private readonly repo: MailRepository,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.jobs.processesHere) this.periodic.start(SWEEP_EVERY_MS, 0);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  async sweep(graceMs = UNCLAIMED_MS): Promise<number> {
    try {
      const now = this.clock.now();
      const ids = await this.repo.overdueIds(now, new Date(now.getTime() - graceMs), BATCH);
      // One job id per sweep and mail: a job still waiting for it is not added twice.
      await this.jobs.enqueueMany(
        MAIL_DELIVER_JOB,
        ids.map((id) => ({ data: { id }, options: { jobId: `${id}.sweep` } })),
      );
      return ids.length;
    } catch (err) {
      this.logger.warn(`Sweeping queued mail failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }

  async prune(): Promise<number> {
    try {
      return await this.repo.prune(new Date(this.clock.nowMs() - MAIL_RETENTION_MS));
    } catch (err) {
      this.logger.warn(`Deleting old mail failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }
}
