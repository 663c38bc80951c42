import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock, JobQueue, Periodic } from '@portico/core';
import { AccountTokensService } from './account-tokens.service';

const SWEEP_EVERY_MS = 3_600_000;
/** An expired link is kept a while, so following it late still says "expired" rather than "unknown". */
const KEEP_EXPIRED_MS = 7 * 86_400_000;

/** Deletes long-expired account tokens, hourly, wherever jobs run. */
@Injectable()
export class AccountTokensSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Accounts');
  private readonly periodic = new Periodic(this.logger, 'Deleting expired account tokens', () => this.sweep());

  constructor(
    private readonly tokens: AccountTokensService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.jobs.processesHere) this.periodic.start(SWEEP_EVERY_MS);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
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
