import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, JobQueue, Periodic } from '@portico/core';
import { BillingService } from '../billing.service';

// The first sweep waits until every module has started (the job queue has found its processors).
const FIRST_SWEEP_MS = 1_000;

/**
 * Takes over stalled billing runs: every BILLING_SWEEP_MS, in each process that runs jobs, whatever
 * BILLING_SCHEDULE says, runs whose heartbeat is older than BILLING_STALE_AFTER_MS (their process
 * died) are queued again, and so are queued runs whose job was lost. The run's lease in the
 * database decides, never the queue's own stall handling. The first sweep also queues again every
 * run a shutdown gave back.
 */
@Injectable()
export class BillingRunSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Billing');
  private readonly periodic = new Periodic(this.logger, 'Looking for stalled billing runs', (atBoot) => this.sweep(atBoot));

  constructor(
    private readonly billing: BillingService,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.billing.sweepMs;
    if (every && this.jobs.processesHere) this.periodic.start(every, FIRST_SWEEP_MS);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  async sweep(atBoot: boolean): Promise<void> {
    try {
      const resumed = await this.billing.resumeStalled(atBoot);
      if (resumed) this.logger.log(`Queued ${resumed} interrupted billing run(s) again`);
    } catch (err) {
      this.logger.warn(`Looking for stalled billing runs failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
