import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { AppConfig, Clock, Metrics } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import { randomUUID } from 'node:crypto';
import { BillingRepository } from '../billing.repository';
import { ExecutionEnd, RunDeps, RunExecution, RunProgress } from './run-execution';
import { TenantBillClient } from './tenant-bill-client';

/** Executes billing runs in this process (for the job processor and the CLI), and stops them cleanly at shutdown. */
@Injectable()
export class BillingRunner implements BeforeApplicationShutdown {
  private readonly deps: RunDeps;
  private readonly running = new Map<RunExecution, Promise<ExecutionEnd>>();

  constructor(
    organizations: OrganizationsService,
    tenants: TenantsService,
    private readonly repo: BillingRepository,
    client: TenantBillClient,
    private readonly clock: Clock,
    config: AppConfig,
    metrics: Metrics,
  ) {
    const charges = metrics.counter<'route' | 'status'>({
      name: 'portico_billing_charges_total',
      help: 'Charges settled by billing runs, by route (direct or tenant) and status (open, submitted, failed, unknown)',
      labelNames: ['route', 'status'],
    });
    this.deps = { organizations, tenants, repo, client, clock, settings: config.billing, logger: new Logger('Billing'), charges };
  }

  /** Runs it to the end here; null when another process is executing it (or it is finished). */
  async execute(runId: string, onProgress?: (progress: RunProgress) => void): Promise<ExecutionEnd | null> {
    const owner = randomUUID();
    const run = await this.repo.claimRun(runId, owner, this.clock.now());
    if (!run) return null;
    // Which process holds a run is what an operator looks for after a crash.
    this.deps.logger.log(`Billing run ${run.id} (${run.period}) is executing in this process (pid ${process.pid})`);
    const execution = new RunExecution(this.deps, Object.assign(run, { owner }), onProgress);
    const done = execution.execute();
    this.running.set(execution, done);
    try {
      return await done;
    } finally {
      this.running.delete(execution);
    }
  }

  // Before the database closes: executions stop taking work and give their runs back.
  async beforeApplicationShutdown(): Promise<void> {
    for (const execution of this.running.keys()) execution.stop();
    await Promise.allSettled(this.running.values());
  }
}
