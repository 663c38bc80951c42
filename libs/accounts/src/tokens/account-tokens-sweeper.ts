import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock, JobQueue } from '@portico/core';
import { AccountTokensService } from './account-tokens.service';

const SWEEP_EVERY_MS = 3_600_000;
/** An expired link is kept a while, so following it late still says "expired" rather than "unknown". */
const KEEP_EXPIRED_MS = 7 * 86_400_000;

/** Deletes long-expired account tokens, hourly, wherever jobs run. */
@Injectable()
export class AccountTokensSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Accounts');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly tokens: AccountTokensService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.jobs.processesHere) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().finally(() => (this.running = null));
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async sweep(): Promise<number> {
    try {
      return await this.tokens.sweep(new Date(this.clock.nowMs() - KEEP_EXPIRED_MS));
    } catch (err) {
      this.logger.warn(`Deleting expired account tokens failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  }
}
