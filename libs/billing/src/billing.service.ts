import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  AuditService,
  Clock,
  ForbiddenError,
  InvalidInputError,
  isUniqueViolation,
  JobQueue,
  Page,
  RedisUnavailableError,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import { setTimeout as sleep } from 'node:timers/promises';
import { BillingErrorCode, BillingException } from './billing.exception';
import { BillingRunQueryDto, ChargeQueryDto } from './dto/billing-query.dto';
import { BillingPreviewView, BillingRunView, ChargeView, MonthlyTotal } from './dto/billing.views';
import { BillingRepository } from './billing.repository';
import { BillingRun, BillingRunKind, BillingRunTrigger } from './entities/billing-run.entity';
import { Charge } from './entities/charge.entity';
import { BILLING_RUN_JOB, BillingRunJob } from './jobs/billing-run.job';
import { isPeriod, PERIOD_MESSAGE } from './period';
import { BillingPreview, PreviewCounts, PreviewItem } from './run/billing-preview';
import { BillingRunner } from './run/billing-runner';
import { staleBefore } from './run/lease';
import { RunProgress } from './run/run-execution';
import { BillingApiCheck, TenantBillClient } from './run/tenant-bill-client';
import { toChargeView, toRunView } from './views';

const PREVIEW_ITEMS = 1000;
// A run queued this long without starting lost its job (an in-process queue dropped at shutdown).
const ORPHANED_AFTER_MS = 5 * 60_000;

/** What the command line is told while it waits for or executes a run. */
export interface RunHereObserver {
  waiting?(run: BillingRunView): void;
  started?(run: BillingRunView, resumed: boolean): void;
  progress?(progress: RunProgress): void;
}

/** The billing facade: runs (manual, scheduled, command line), dry runs, charges and their totals. */
@Injectable()
export class BillingService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly repo: BillingRepository,
    private readonly runner: BillingRunner,
    private readonly preview: BillingPreview,
    private readonly billClient: TenantBillClient,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Creates a run for the period and queues it; it proceeds in the background. */
  async startRun(ctx: RequestContext, period: string, trigger: Exclude<BillingRunTrigger, 'schedule'>): Promise<BillingRunView> {
    adminOnly(ctx);
    checkPeriod(period);
    // A run written while the queue does not answer would wait for the sweep; refuse it instead.
    if (!(await this.jobs.available())) throw new RedisUnavailableError('billing runs');
    const run = (await this.createRun(ctx, period, 'manual', trigger))!;
    await this.enqueue(run.id, run.id);
    return toRunView(run);
  }

  /** What a run would bill now, writing nothing: counts, totals and the first items. */
  async dryRun(ctx: RequestContext, period: string): Promise<BillingPreviewView> {
    adminOnly(ctx);
    checkPeriod(period);
    const items: PreviewItem[] = [];
    let more = false;
    const counts = await this.preview.walk(period, (item) => (items.length < PREVIEW_ITEMS ? items.push(item) : (more = true)));
    const { totals, ...rest } = counts;
    return { period, dryRun: true, counts: rest, totals, items, itemsTruncated: more };
  }

  /** Checks a tenant's saved billing API without sending a bill (the contract has no dry request). */
  async checkTenantBillingApi(ctx: RequestContext, tenantKey: string): Promise<BillingApiCheck> {
    adminOnly(ctx);
    const tenant = await this.tenants.get(tenantKey);
    const api = await this.tenants.billingApi(tenant.id);
    if (!api) throw new InvalidInputError('No billing API is saved for this tenant: its organizations are billed directly in Portico.');
    const check = await this.billClient.check(api);
    await this.audit.record(ctx, {
      action: 'tenant.billing_api.tested',
      targetType: 'tenant',
      targetId: tenant.id,
      tenant,
      details: { ok: check.ok },
    });
    return check;
  }

  /** The dry run streamed, for the command line. */
  async walkPreview(
    ctx: RequestContext,
    period: string,
    onItem: (item: PreviewItem) => void,
    onPage?: (counts: PreviewCounts) => void,
  ): Promise<PreviewCounts> {
    adminOnly(ctx);
    checkPeriod(period);
    return this.preview.walk(period, onItem, onPage);
  }

  async countOrganizationsWithPlan(ctx: RequestContext): Promise<number> {
    adminOnly(ctx);
    return this.organizations.countWithPlan(ctx);
  }

  /**
   * The command line's run: resumes the period's run that nobody executes (queued, or its process
   * died), waits while another process executes one, else starts a new one; then executes it here.
   */
  async runHere(ctx: RequestContext, period: string, observer: RunHereObserver = {}): Promise<BillingRunView> {
    adminOnly(ctx);
    checkPeriod(period);
    for (;;) {
      const unfinished = await this.repo.unfinishedRuns(period);
      const stale = staleBefore(this.clock.now(), this.config.billing.staleAfterMs);
      const free = unfinished.find((r) => r.status === 'queued' || !r.heartbeatAt || r.heartbeatAt < stale);
      if (!free && unfinished.length) {
        observer.waiting?.(toRunView(unfinished[0]));
        await sleep(1000);
        continue;
      }
      const run = free ?? (await this.createRun(ctx, period, 'manual', 'cli'))!;
      observer.started?.(toRunView(run), !!free);
      const end = await this.runner.execute(run.id, observer.progress);
      // null: another process took it between our read and our claim; look again.
      if (end === null) continue;
      return this.getRun(ctx, run.id);
    }
  }

  async listRuns(ctx: RequestContext, query: BillingRunQueryDto): Promise<Page<BillingRunView>> {
    adminOnly(ctx);
    const page = await this.repo.listRuns(ctx, query);
    return { ...page, items: page.items.map(toRunView) };
  }

  async getRun(ctx: RequestContext, id: string): Promise<BillingRunView> {
    adminOnly(ctx);
    const run = await this.repo.findRun(id.toLowerCase());
    if (!run) throw BillingException.runNotFound();
    return toRunView(run);
  }

  /** Charges the caller may see: a tenant only its own organizations'. */
  async listCharges(ctx: RequestContext, query: ChargeQueryDto): Promise<Page<ChargeView>> {
    const page = await this.repo.listCharges(ctx, query);
    return { ...page, items: await this.chargeViews(page.items) };
  }

  /** The latest charges of these organizations, newest period first (a user's account page). */
  async chargesOfOrganizations(ctx: RequestContext, organizationIds: string[], limit = 50): Promise<ChargeView[]> {
    if (!organizationIds.length) return [];
    return this.chargeViews(await this.repo.chargesOfOrganizations(ctx, organizationIds, limit));
  }

  /** Billed amounts (open and submitted charges) per period, route and currency, for periods in [from, to]. */
  async monthlyTotals(ctx: RequestContext, from: string, to: string): Promise<MonthlyTotal[]> {
    adminOnly(ctx);
    return this.repo.chargeTotals(from, to);
  }

  /** The monthly schedule: the period's one scheduled run, or null when an instance already made it. */
  async startScheduledRun(period: string): Promise<BillingRunView | null> {
    const run = await this.createRun(RequestContext.system('billing schedule'), period, 'scheduled', 'schedule');
    if (!run) return null;
    await this.enqueue(run.id, run.id);
    return toRunView(run);
  }

  /**
   * Queues again the runs nobody executes: queued ones whose job was lost, and running ones whose
   * heartbeat stopped. The database decides, not the queue: a job the queue gave up on (its worker
   * killed twice) is replaced by a new one. The job id changes once per stale period, so processes
   * sweeping at once add one job, and a job id the queue keeps as failed never blocks the next.
   */
  async resumeStalled(atBoot: boolean): Promise<number> {
    const now = this.clock.now();
    const queuedBefore = atBoot ? now : new Date(now.getTime() - ORPHANED_AFTER_MS);
    const runs = await this.repo.resumableRuns(now, queuedBefore);
    const window = Math.floor(now.getTime() / this.config.billing.staleAfterMs);
    // A duplicate is harmless: one claim wins, the other job ends at once.
    for (const run of runs) await this.enqueue(run.id, `${run.id}-resume-${window}`);
    return runs.length;
  }

  private async createRun(
    ctx: RequestContext,
    period: string,
    kind: BillingRunKind,
    trigger: BillingRunTrigger,
  ): Promise<BillingRun | null> {
    try {
      return await this.tx.run(async () => {
        const run = await this.repo.insertRun({ period, kind, trigger, requestedBy: ctx.actor.label.slice(0, 320) });
        await this.audit.record(ctx, {
          action: 'billing.run.created',
          targetType: 'billing_run',
          targetId: run.id,
          details: { period, kind, trigger },
        });
        return run;
      });
    } catch (err) {
      // Only the schedule's runs are unique per period: another instance made this month's already.
      if (kind === 'scheduled' && isUniqueViolation(err)) return null;
      throw err;
    }
  }

  private enqueue(runId: string, jobId: string): Promise<void> {
    return this.jobs.enqueue<BillingRunJob>(BILLING_RUN_JOB, { runId }, { jobId });
  }

  private async chargeViews(rows: Charge[]): Promise<ChargeView[]> {
    const tenants = await this.tenants.findByIds(rows.map((c) => c.tenantId).filter((id): id is string => !!id));
    return rows.map((c) => toChargeView(c, c.tenantId ? (tenants.get(c.tenantId)?.key ?? null) : null));
  }
}

function adminOnly(ctx: RequestContext): void {
  if (!ctx.isPlatformAdmin) throw new ForbiddenError('Only platform administrators may run billing');
}

function checkPeriod(period: string): void {
  if (!isPeriod(period)) throw new BillingException(BillingErrorCode.InvalidPeriod, PERIOD_MESSAGE);
}
