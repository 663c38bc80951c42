import { Injectable } from '@nestjs/common';
import { JobHandler, JobProcessor } from '@portico/core';
import { BillingRunner } from '../run/billing-runner';
import { BILLING_RUN_JOB, BillingRunJob } from './billing-run.job';

/**
 * Executes a queued billing run, in the server (in-process queue) or in a worker (BullMQ). A job
 * for a run another process already executes, or one that is finished, does nothing.
 */
@Injectable()
@JobProcessor(BILLING_RUN_JOB)
export class BillingRunProcessor implements JobHandler<BillingRunJob> {
  constructor(private readonly runner: BillingRunner) {}

  async handle(data: BillingRunJob): Promise<void> {
    if (typeof data?.runId !== 'string') throw new Error('billing.run job without a runId');
    await this.runner.execute(data.runId);
  }
}
