import { Logger } from '@nestjs/common';
import { BillingConfig, Clock, CounterMetric, RequestContext } from '@portico/core';
import { OrganizationsService, PlannedOrganization } from '@portico/organizations';
import { TenantBillingApi, TenantsService } from '@portico/tenants';
import { BillingRun } from '../entities/billing-run.entity';
import { Charge, RESENT_STATUSES } from '../entities/charge.entity';
import { BillingRepository, Settlement } from '../billing.repository';
import { SubmissionPool } from './submission-pool';
import { TenantBillClient } from './tenant-bill-client';

// Organizations read (and charges inserted) per transaction.
const PAGE = 500;
// Tenant charges settled per transaction, and the longest an outcome waits to be written.
const SETTLE_BATCH = 200;
const SETTLE_EVERY_MS = 250;
// Tries in a row that found one tenant's API down, after which this run stops calling it: its
// remaining bills fail at once ("not sent") instead of each waiting out timeouts and retries.
export const TENANT_OUTAGE_THRESHOLD = 50;

export const NO_EXTERNAL_UID =
  "The organization has no externalUid, which the tenant's billing API needs as group_id: set it on the organization, then run the period again";
const NO_BILLING_API = "The tenant's billing API is no longer configured: configure it again, then run the period again";

const SYSTEM = RequestContext.system('billing');

export interface RunProgress {
  phase: 'organizations' | 'pending' | 'waiting';
  organizations: number;
  alreadyBilled: number;
  charged: number;
  failed: number;
  /** Charges whose bill may exist on the tenant's side, unconfirmed (status unknown). */
  unknown: number;
}

export type ExecutionEnd = 'completed' | 'failed' | 'released' | 'lost';

export interface RunDeps {
  organizations: OrganizationsService;
  tenants: TenantsService;
  repo: BillingRepository;
  client: TenantBillClient;
  clock: Clock;
  settings: BillingConfig;
  logger: Logger;
  /** Counts each charge once, when it is settled. */
  charges: CounterMetric<'route' | 'status'>;
}

/**
 * One execution of a billing run. Walks the organizations with a plan in id order, a page at a
 * time: new direct charges are inserted settled (`open`), new tenant charges inserted `pending`
 * and claimed by this execution, then submitted with bounded concurrency; pending or failed tenant
 * charges found on the way (an earlier run was killed, or failed) are claimed and sent again with
 * the same Idempotency-Key. Then it finishes every pending charge of the period, waiting for the
 * ones another live run holds. Killed at any point, a later run finds the work where it stopped.
 */
export class RunExecution {
  private readonly pool: SubmissionPool;
  private readonly apis = new Map<string, TenantBillingApi | null>();
  private readonly tenantKeys = new Map<string, string | null>();
  // Per tenant: tries in a row that found its API down, and what the last one found.
  private readonly outages = new Map<string, { count: number; error: string }>();
  private organizations = 0;
  private alreadyBilled = 0;
  private charged = 0;
  private failed = 0;
  private unknown = 0;
  private phase: RunProgress['phase'] = 'organizations';
  private stopped = false;
  private lost = false;
  private heartbeat?: NodeJS.Timeout;
  private settleTimer?: NodeJS.Timeout;
  // Outcomes not yet written; a crash loses them harmlessly (the charges stay pending and are sent
  // again with the same key by the run that resumes).
  private unsettled: Settlement[] = [];
  private settling: Promise<void> = Promise.resolve();
  private settleError: unknown = null;
  private beating: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    private readonly deps: RunDeps,
    private readonly run: BillingRun & { owner: string },
    private readonly onProgress?: (progress: RunProgress) => void,
  ) {
    this.pool = new SubmissionPool(deps.settings.concurrency);
  }

  /** Stops taking new work (shutdown, or the run was taken over); calls in flight finish. */
  stop(): void {
    this.stopped = true;
    this.pool.close();
    this.wake?.();
  }

  async execute(): Promise<ExecutionEnd> {
    this.heartbeat = setInterval(() => (this.beating = this.beat()), this.deps.settings.heartbeatMs);
    this.settleTimer = setInterval(() => void this.flush(), SETTLE_EVERY_MS);
    for (const timer of [this.heartbeat, this.settleTimer]) timer.unref();
    let failure: unknown = null;
    try {
      await this.billOrganizations();
      await this.settled();
      await this.finishPending();
    } catch (err) {
      failure = err;
      this.stop();
      await this.pool.drain().catch(() => undefined);
      await this.flush().catch(() => undefined);
    } finally {
      clearInterval(this.heartbeat);
      clearInterval(this.settleTimer);
      await this.beating;
    }
    const progress = { organizations: this.organizations, alreadyBilled: this.alreadyBilled };
    if (this.lost) return 'lost';
    if (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      this.deps.logger.error(`Billing run ${this.run.id} (${this.run.period}) failed: ${message}`);
      await this.deps.repo.finishRun(
        this.run.id,
        this.run.owner,
        { status: 'failed', lastError: message },
        this.deps.clock.now(),
        progress,
      );
      return 'failed';
    }
    if (this.stopped) {
      await this.deps.repo.releaseRun(this.run.id, this.run.owner, progress);
      return 'released';
    }
    await this.deps.repo.finishRun(this.run.id, this.run.owner, { status: 'completed' }, this.deps.clock.now(), progress);
    return 'completed';
  }

  private async billOrganizations(): Promise<void> {
    let after: string | null = null;
    while (!this.stopped) {
      const orgs = await this.deps.organizations.withPlanPage(SYSTEM, after, PAGE);
      if (!orgs.length) return;
      after = orgs[orgs.length - 1].id;
      await this.learnTenants(orgs.map((o) => o.tenantId));
      const existing = await this.deps.repo.existingCharges(
        this.run.period,
        orgs.map((o) => o.id),
      );
      const fresh: Charge[] = [];
      const again = new Map<string, PlannedOrganization>();
      for (const org of orgs) {
        const found = existing.get(org.id);
        if (!found) fresh.push(this.newCharge(org));
        else if (found.route === 'tenant' && RESENT_STATUSES.includes(found.status)) again.set(found.id, org);
        else if (found.runId !== this.run.id) this.alreadyBilled++;
      }
      const inserted = await this.deps.repo.insertNewCharges(fresh, this.tenantKeyOf);
      // The ones not inserted were charged by another run between our read and our insert.
      this.alreadyBilled += fresh.length - inserted.length;
      this.organizations += orgs.length;
      for (const charge of inserted) {
        if (charge.status === 'open') this.charged++;
        else if (charge.status === 'failed') this.failed++;
        if (charge.status !== 'pending') this.deps.charges.inc({ route: charge.route, status: charge.status });
      }
      this.report('organizations');
      for (const charge of inserted) if (charge.status === 'pending') await this.submit(charge);
      const claimed = await this.deps.repo.claimCharges(this.run.owner, [...again.keys()], this.deps.clock.now(), true);
      // Not claimed: another live run is sending them right now.
      this.alreadyBilled += again.size - claimed.length;
      for (const charge of claimed) {
        await this.deps.repo.refreshChargeSnapshot(this.run.owner, charge, again.get(charge.id)!);
        await this.submit(charge);
      }
    }
  }

  /** Every pending charge of the period gets settled before the run ends: gaps are not an option. */
  private async finishPending(): Promise<void> {
    while (!this.stopped) {
      let heldElsewhere = false;
      let after: string | null = null;
      for (;;) {
        const page = await this.deps.repo.pendingCharges(this.run.period, after, PAGE);
        if (!page.length || this.stopped) break;
        after = page[page.length - 1].id;
        const claimed = await this.deps.repo.claimCharges(
          this.run.owner,
          page.map((c) => c.id),
          this.deps.clock.now(),
          false,
        );
        if (claimed.length < page.length) heldElsewhere = true;
        this.report('pending');
        await this.learnTenants(claimed.map((c) => c.tenantId));
        for (const charge of claimed) await this.submit(charge);
      }
      await this.settled();
      if (!heldElsewhere) return;
      this.report('waiting');
      await this.pause(1000);
    }
  }

  private newCharge(org: PlannedOrganization): Charge {
    const viaTenant = !!org.tenantId && !!this.apis.get(org.tenantId);
    const status = !viaTenant ? 'open' : org.externalUid ? 'pending' : 'failed';
    return Object.assign(new Charge(), {
      organizationId: org.id,
      tenantId: org.tenantId,
      organizationName: org.name.slice(0, 200),
      externalUid: org.externalUid,
      period: this.run.period,
      amountCents: org.plan.priceCents,
      currency: org.plan.currency,
      route: viaTenant ? 'tenant' : 'direct',
      status,
      lastError: status === 'failed' ? NO_EXTERNAL_UID : null,
      runId: this.run.id,
      claimedBy: status === 'pending' ? this.run.owner : null,
    });
  }

  private async submit(charge: Charge): Promise<void> {
    const api = charge.tenantId ? this.apis.get(charge.tenantId) : null;
    if (!charge.externalUid) return this.giveUp(charge, NO_EXTERNAL_UID);
    if (!api) return this.giveUp(charge, NO_BILLING_API);
    await this.pool.add(() => this.attempt(charge, api, 1));
  }

  private async attempt(charge: Charge, api: TenantBillingApi, attempt: number): Promise<void> {
    const tenantId = charge.tenantId!;
    const outage = this.outages.get(tenantId);
    if (outage && outage.count >= TENANT_OUTAGE_THRESHOLD) {
      return this.giveUp(
        charge,
        `Not sent: the tenant's billing API failed ${outage.count} times in a row during this run (${outage.error}); run the period again once it answers`,
      );
    }
    // Counted before it is sent; false: another run took the charge over.
    if (!(await this.deps.repo.startChargeAttempt(this.run.owner, charge))) return;
    const outcome = await this.deps.client.submit(api, charge, this.deps.settings.timeoutMs);
    if (outcome.kind === 'accepted') {
      this.outages.delete(tenantId);
      charge.possiblyBilled = true;
      return this.settle({ charge, outcome: { status: 'submitted', billId: outcome.billId, billStatus: outcome.billStatus } });
    }
    if (outcome.kind === 'rejected') return this.giveUp(charge, outcome.error);
    if (outcome.unknown) charge.possiblyBilled = true;
    // Read again: other calls to this tenant finished while this one was out.
    this.outages.set(tenantId, { count: (this.outages.get(tenantId)?.count ?? 0) + 1, error: outcome.error });
    const delays = this.deps.settings.retryDelaysMs;
    if (attempt > delays.length) return this.giveUp(charge, `${outcome.error} (gave up after ${attempt} tries)`);
    // Stopping: the try is recorded and the charge stays pending for the run that resumes this one.
    if (!(await this.deps.repo.recordChargeAttempt(this.run.owner, charge, outcome.error)) || this.stopped) return;
    this.pool.later(delays[attempt - 1], () => this.attempt(charge, api, attempt + 1));
  }

  /**
   * Ends a charge without a bill: `failed` only when no call for it can have made one; otherwise
   * `unknown`, since a refusal now says nothing of an earlier call that got no answer.
   */
  private giveUp(charge: Charge, error: string): Promise<void> {
    return this.settle({ charge, outcome: { status: charge.possiblyBilled ? 'unknown' : 'failed', error } });
  }

  private async settle(settlement: Settlement): Promise<void> {
    this.unsettled.push(settlement);
    if (this.unsettled.length >= SETTLE_BATCH) await this.flush();
  }

  /** Writes the outcomes gathered so far, one batch at a time. */
  private flush(): Promise<void> {
    const write = this.settling.then(async () => {
      const batch = this.unsettled.splice(0);
      if (!batch.length) return;
      for (const charge of await this.deps.repo.settleCharges(this.run, batch, this.tenantKeyOf)) {
        if (charge.status === 'submitted') this.charged++;
        else if (charge.status === 'unknown') this.unknown++;
        else this.failed++;
        this.deps.charges.inc({ route: charge.route, status: charge.status });
      }
      this.report();
    });
    this.settling = write.catch((err: unknown) => void (this.settleError ??= err));
    return write;
  }

  /** Every call made so far has finished and its outcome is written. */
  private async settled(): Promise<void> {
    await this.pool.drain();
    await this.flush();
    if (this.settleError) throw this.settleError;
  }

  private async learnTenants(ids: (string | null)[]): Promise<void> {
    const unknown = [...new Set(ids.filter((id): id is string => !!id && !this.apis.has(id)))];
    if (!unknown.length) return;
    const refs = await this.deps.tenants.findByIds(unknown);
    for (const id of unknown) {
      this.apis.set(id, await this.deps.tenants.billingApi(id));
      this.tenantKeys.set(id, refs.get(id)?.key ?? null);
    }
  }

  private readonly tenantKeyOf = (tenantId: string | null): string | null => (tenantId ? (this.tenantKeys.get(tenantId) ?? null) : null);

  private async beat(): Promise<void> {
    try {
      const progress = { organizations: this.organizations, alreadyBilled: this.alreadyBilled };
      if (!(await this.deps.repo.beatRun(this.run.id, this.run.owner, this.deps.clock.now(), progress))) {
        this.deps.logger.warn(`Billing run ${this.run.id} was taken over by another process; this one stops`);
        this.lost = true;
        this.stop();
      }
    } catch (err) {
      this.deps.logger.warn(`Billing run ${this.run.id}: heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private report(phase: RunProgress['phase'] = this.phase): void {
    this.phase = phase;
    this.onProgress?.({
      phase,
      organizations: this.organizations,
      alreadyBilled: this.alreadyBilled,
      charged: this.charged,
      failed: this.failed,
      unknown: this.unknown,
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = wake;
    });
  }
}
