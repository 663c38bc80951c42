import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  AuditService,
  Clock,
  ForbiddenError,
  isUniqueViolation,
  JobQueue,
  Page,
  pageWindow,
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
import { BillingRun, BillingRunKind, BillingRunTrigger } from './entities/billing-run.entity';
import { Charge } from './entities/charge.entity';
import { BILLING_RUN_JOB, BillingRunJob } from './jobs/billing-run.job';
import { isPeriod, PERIOD_MESSAGE } from './period';
import { BillingPreview, PreviewCounts, PreviewItem } from './run/billing-preview';
import { BillingRunStore } from './run/billing-run.store';
import { BillingRunner } from './run/billing-runner';
import { RunProgress } from './run/run-execution';
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
    private readonly runs: BillingRunStore,
    private readonly runner: BillingRunner,
    private readonly preview: BillingPreview,
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
      const unfinished = await this.runs.unfinished(period);
      const stale = this.runs.staleBefore(this.clock.now());
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
    const { take, skip } = pageWindow(query);
    const qb = this.tx.manager.createQueryBuilder(BillingRun, 'r').orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC');
    if (query.period) qb.where('r.period = :period', { period: query.period });
    const [rows, total] = await qb.take(take).skip(skip).getManyAndCount();
    return { items: rows.map(toRunView), total, limit: take, offset: skip };
  }

  async getRun(ctx: RequestContext, id: string): Promise<BillingRunView> {
    adminOnly(ctx);
    const run = await this.tx.manager.findOneBy(BillingRun, { id: id.toLowerCase() });
    if (!run) throw BillingException.runNotFound();
    return toRunView(run);
  }

  /** Charges the caller may see: a tenant only its own organizations'. */
  async listCharges(ctx: RequestContext, query: ChargeQueryDto): Promise<Page<ChargeView>> {
    const { take, skip } = pageWindow(query);
    const qb = this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .orderBy('c.period', 'DESC')
      .addOrderBy('c.organization_name', 'ASC')
      .addOrderBy('c.id', 'ASC');
    if (!ctx.isPlatformAdmin) {
      if (query.tenantKey && (ctx.actor.kind !== 'tenant' || query.tenantKey !== ctx.actor.tenantKey)) {
        throw new ForbiddenError('A tenant API key can only list its own charges');
      }
      if (ctx.tenantId) qb.andWhere('c.tenant_id = :tid', { tid: ctx.tenantId });
      else qb.andWhere('c.tenant_id IS NULL');
    } else if (query.tenantKey) {
      const tenant = await this.tenants.findByKey(query.tenantKey);
      if (!tenant) return { items: [], total: 0, limit: take, offset: skip };
      qb.andWhere('c.tenant_id = :tid', { tid: tenant.id });
    }
    if (query.period) qb.andWhere('c.period = :period', { period: query.period });
    if (query.organizationId) qb.andWhere('c.organization_id = :org', { org: query.organizationId.toLowerCase() });
    if (query.status) qb.andWhere('c.status = :status', { status: query.status });
    if (query.route) qb.andWhere('c.route = :route', { route: query.route });
    if (query.runId) qb.andWhere('c.run_id = :runId', { runId: query.runId.toLowerCase() });
    const [rows, total] = await qb.take(take).skip(skip).getManyAndCount();
    return { items: await this.chargeViews(rows), total, limit: take, offset: skip };
  }

  /** The latest charges of these organizations, newest period first (a user's account page). */
  async chargesOfOrganizations(ctx: RequestContext, organizationIds: string[], limit = 50): Promise<ChargeView[]> {
    if (!organizationIds.length) return [];
    const qb = this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .where('c.organization_id IN (:...ids)', { ids: organizationIds })
      .orderBy('c.period', 'DESC')
      .addOrderBy('c.organization_name', 'ASC')
      .take(limit);
    if (!ctx.isPlatformAdmin) {
      if (ctx.tenantId) qb.andWhere('c.tenant_id = :tid', { tid: ctx.tenantId });
      else qb.andWhere('c.tenant_id IS NULL');
    }
    return this.chargeViews(await qb.getMany());
  }

  /** Billed amounts (open and submitted charges) per period, route and currency, for periods in [from, to]. */
  async monthlyTotals(ctx: RequestContext, from: string, to: string): Promise<MonthlyTotal[]> {
    adminOnly(ctx);
    const rows = await this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .select('c.period', 'period')
      .addSelect('c.route', 'route')
      .addSelect('c.currency', 'currency')
      .addSelect('COUNT(*)', 'count')
      .addSelect('SUM(c.amount_cents)', 'amount')
      .where("c.status IN ('open', 'submitted')")
      .andWhere('c.period >= :from AND c.period <= :to', { from, to })
      .groupBy('c.period')
      .addGroupBy('c.route')
      .addGroupBy('c.currency')
      .getRawMany<{ period: string; route: Charge['route']; currency: string; count: string | number; amount: string | number }>();
    return rows.map((r) => ({
      period: r.period,
      route: r.route,
      currency: r.currency,
      count: Number(r.count),
      amountCents: Number(r.amount),
    }));
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
    const runs = await this.runs.resumable(now, queuedBefore);
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
      return await this.tx.run(async (m) => {
        // createdAt from here, to the millisecond (SQLite's own clock has seconds): runs list in the order they were made.
        const run = m.create(BillingRun, { period, kind, trigger, requestedBy: ctx.actor.label.slice(0, 320), createdAt: new Date() });
        await m.insert(BillingRun, run);
        await this.audit.record(m, ctx, {
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
