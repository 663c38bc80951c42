import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, Clock } from '@portico/core';
import { BillingService } from '../billing.service';
import { periodOf } from '../period';

const TICK_MS = 60_000;
// The first tick waits until every module has started (the job queue has found its processors).
const FIRST_TICK_MS = 2_000;

/**
 * The monthly schedule (BILLING_SCHEDULE): every minute, each instance makes sure the current
 * month has its scheduled run. The first to insert it wins; the database refuses a second one for
 * the period (a partial unique index), so any number of instances start exactly one. Taking over
 * stalled runs is not the schedule's business: BillingRunSweeper does it wherever jobs run.
 */
@Injectable()
export class BillingScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BillingSchedule');
  private timers: NodeJS.Timeout[] = [];
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly billing: BillingService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.billing.schedule) return;
    const first = setTimeout(() => (this.ticking = this.tick()), FIRST_TICK_MS);
    const every = setInterval(() => (this.ticking = this.tick()), TICK_MS);
    this.timers = [first, every];
    for (const timer of this.timers) timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await this.ticking;
  }

  /** One tick; the period billed is the month the clock says it is (plans are billed in advance). */
  async tick(): Promise<void> {
    try {
      const period = periodOf(this.clock.now());
      const run = await this.billing.startScheduledRun(period);
      if (run) this.logger.log(`Scheduled billing run ${run.id} for ${period} started`);
    } catch (err) {
      this.logger.error(`Billing schedule tick failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
