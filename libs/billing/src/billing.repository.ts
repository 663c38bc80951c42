import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  bulkInsert,
  OutboxService,
  Page,
  powerOfTwoChunks,
  RequestContext,
  scopedList,
  TransactionService,
} from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { Brackets, EntityManager } from 'typeorm';
import { ChargeEventData } from './charge-events';
import { BillingRunQueryDto, ChargeQueryDto } from './dto/billing-query.dto';
import { BillingRun, BillingRunTotal } from './entities/billing-run.entity';
import { Charge, ChargeStatus, RESENT_STATUSES } from './entities/charge.entity';
import { staleBefore } from './run/lease';

// Every column a run writes on insert (created_at and updated_at take their defaults).
const INSERTED: (keyof Charge & string)[] = [
  'id',
  'organizationId',
  'tenantId',
  'organizationName',
  'externalUid',
  'period',
  'amountCents',
  'currency',
  'route',
  'status',
  'externalBillId',
  'externalStatus',
  'attempts',
  'lastError',
  'possiblyBilled',
  'runId',
  'claimedBy',
];

export type TenantKeyOf = (tenantId: string | null) => string | null;

/** What a run needs to know about a charge that already exists for an organization and period. */
export interface ExistingCharge {
  id: string;
  organizationId: string;
  route: Charge['route'];
  status: ChargeStatus;
  runId: string | null;
  amountCents: number;
  currency: string;
}

/** How one tenant charge ended in a run (its calls were counted as they were made). */
export interface Settlement {
  charge: Charge;
  outcome: { status: 'submitted'; billId: string; billStatus: string | null } | { status: 'failed' | 'unknown'; error: string };
}

/** What a run has done so far, from its charges. */
export interface RunChargeStats {
  directCharges: number;
  tenantCharges: number;
  failedCharges: number;
  pendingCharges: number;
  unknownCharges: number;
  totals: BillingRunTotal[];
}

/** Billed amounts of one period, route and currency. */
export interface ChargeTotalRow {
  period: string;
  route: Charge['route'];
  currency: string;
  count: number;
  amountCents: number;
}

type RunProgressColumns = Pick<BillingRun, 'organizations' | 'alreadyBilled'>;

/**
 * Every query of billing: runs (ownership, heartbeats, outcomes) and charges (bulk inserts,
 * claims, settlements). A charge written or settled by a run is written with its charge.* events
 * in one transaction, so the outbox rows are part of the write. Statements run in the ambient
 * transaction when the caller is inside `tx.run`.
 */
@Injectable()
export class BillingRepository {
  constructor(
    private readonly tx: TransactionService,
    private readonly outbox: OutboxService,
    private readonly tenants: TenantsService,
    private readonly config: AppConfig,
  ) {}

  // Runs

  /** The run as made here: createdAt to the millisecond (SQLite's own clock has seconds), so runs list in the order they were made. */
  async insertRun(fields: Pick<BillingRun, 'period' | 'kind' | 'trigger' | 'requestedBy'>): Promise<BillingRun> {
    const m = this.tx.manager;
    const run = m.create(BillingRun, { ...fields, createdAt: new Date() });
    await m.insert(BillingRun, run);
    return run;
  }

  findRun(id: string): Promise<BillingRun | null> {
    return this.tx.manager.findOneBy(BillingRun, { id });
  }

  /** Runs, newest first; runs belong to no tenant. */
  listRuns(ctx: RequestContext, query: BillingRunQueryDto): Promise<Page<BillingRun>> {
    const qb = this.tx.manager.createQueryBuilder(BillingRun, 'r').orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC');
    if (query.period) qb.where('r.period = :period', { period: query.period });
    return scopedList(ctx, qb, query, {}, (rows) => rows);
  }

  /** Takes the run if it waits to start or its owner stopped answering; null when another process has it. */
  async claimRun(id: string, owner: string, now: Date): Promise<BillingRun | null> {
    return this.tx.run(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(BillingRun)
        .set({ status: 'running', owner, heartbeatAt: now, finishedAt: null, lastError: null })
        .where('id = :id', { id })
        .andWhere(
          new Brackets((w) =>
            w
              .where("status = 'queued'")
              .orWhere("status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < :stale)", { stale: this.staleBefore(now) }),
          ),
        )
        .execute();
      if (!result.affected) return null;
      await m.createQueryBuilder().update(BillingRun).set({ startedAt: now }).where('id = :id AND started_at IS NULL', { id }).execute();
      return m.findOneByOrFail(BillingRun, { id });
    });
  }

  /** Records progress; false when the run is no longer this owner's (it was taken over). */
  async beatRun(id: string, owner: string, now: Date, progress: RunProgressColumns): Promise<boolean> {
    const stats = await this.runStats(id);
    return this.tx.run(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(BillingRun)
        .set({ heartbeatAt: now, ...progress, ...stats })
        .where("id = :id AND owner = :owner AND status = 'running'", { id, owner })
        .execute();
      return !!result.affected;
    });
  }

  async finishRun(
    id: string,
    owner: string,
    outcome: { status: 'completed' | 'failed'; lastError?: string },
    now: Date,
    progress: RunProgressColumns,
  ): Promise<void> {
    const stats = await this.runStats(id);
    await this.tx.run(async (m) => {
      await m
        .createQueryBuilder()
        .update(BillingRun)
        .set({
          status: outcome.status,
          lastError: outcome.lastError?.slice(0, 500) ?? null,
          finishedAt: now,
          owner: null,
          ...progress,
          ...stats,
        })
        .where('id = :id AND owner = :owner', { id, owner })
        .execute();
      await releaseClaims(m, owner);
    });
  }

  /** Gives the run back (this process is shutting down): it waits to be resumed, its charges free to claim. */
  async releaseRun(id: string, owner: string, progress: RunProgressColumns): Promise<void> {
    const stats = await this.runStats(id);
    await this.tx.run(async (m) => {
      await m
        .createQueryBuilder()
        .update(BillingRun)
        .set({ status: 'queued', owner: null, heartbeatAt: null, ...progress, ...stats })
        .where('id = :id AND owner = :owner', { id, owner })
        .execute();
      await releaseClaims(m, owner);
    });
  }

  /** Runs of the period still to finish, oldest first. */
  unfinishedRuns(period: string): Promise<BillingRun[]> {
    return this.tx.manager
      .createQueryBuilder(BillingRun, 'r')
      .where('r.period = :period', { period })
      .andWhere("r.status IN ('queued', 'running')")
      .orderBy('r.created_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .getMany();
  }

  /** Runs nobody is executing: never started (queued before `queuedBefore`) or whose heartbeat stopped. */
  resumableRuns(now: Date, queuedBefore: Date): Promise<BillingRun[]> {
    return this.tx.manager
      .createQueryBuilder(BillingRun, 'r')
      .where(
        new Brackets((w) =>
          w
            .where("r.status = 'queued' AND r.updated_at <= :queuedBefore", { queuedBefore })
            .orWhere("r.status = 'running' AND (r.heartbeat_at IS NULL OR r.heartbeat_at < :stale)", { stale: this.staleBefore(now) }),
        ),
      )
      .orderBy('r.created_at', 'ASC')
      .getMany();
  }

  private async runStats(runId: string): Promise<RunChargeStats> {
    const rows = await this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .select('c.route', 'route')
      .addSelect('c.status', 'status')
      .addSelect('c.currency', 'currency')
      .addSelect('COUNT(*)', 'count')
      .addSelect('SUM(c.amount_cents)', 'amount')
      .where('c.run_id = :runId', { runId })
      .groupBy('c.route')
      .addGroupBy('c.status')
      .addGroupBy('c.currency')
      .getRawMany<{
        route: Charge['route'];
        status: Charge['status'];
        currency: string;
        count: string | number;
        amount: string | number;
      }>();
    const stats: RunChargeStats = {
      directCharges: 0,
      tenantCharges: 0,
      failedCharges: 0,
      pendingCharges: 0,
      unknownCharges: 0,
      totals: [],
    };
    for (const row of rows) {
      const count = Number(row.count);
      if (row.status === 'open') stats.directCharges += count;
      else if (row.status === 'submitted') stats.tenantCharges += count;
      else if (row.status === 'failed') stats.failedCharges += count;
      else if (row.status === 'unknown') stats.unknownCharges += count;
      else stats.pendingCharges += count;
      if (row.status === 'open' || row.status === 'submitted') {
        stats.totals.push({ currency: row.currency, route: row.route, count, amountCents: Number(row.amount) });
      }
    }
    stats.totals.sort((a, b) => a.currency.localeCompare(b.currency) || a.route.localeCompare(b.route));
    return stats;
  }

  private staleBefore(now: Date): Date {
    return staleBefore(now, this.config.billing.staleAfterMs);
  }

  // Charges

  /** Charges the caller may see (a tenant only its own organizations'), filtered and paged. */
  listCharges(ctx: RequestContext, query: ChargeQueryDto): Promise<Page<Charge>> {
    const qb = this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .orderBy('c.period', 'DESC')
      .addOrderBy('c.organization_name', 'ASC')
      .addOrderBy('c.id', 'ASC');
    if (query.period) qb.andWhere('c.period = :period', { period: query.period });
    if (query.organizationId) qb.andWhere('c.organization_id = :org', { org: query.organizationId.toLowerCase() });
    if (query.status) qb.andWhere('c.status = :status', { status: query.status });
    if (query.route) qb.andWhere('c.route = :route', { route: query.route });
    if (query.runId) qb.andWhere('c.run_id = :runId', { runId: query.runId.toLowerCase() });
    return scopedList(
      ctx,
      qb,
      query,
      {
        tenantColumn: 'c.tenant_id',
        tenantKey: query.tenantKey,
        resolveTenant: async (key) => (await this.tenants.findByKey(key))?.id ?? null,
      },
      (rows) => rows,
    );
  }

  /** The latest charges of these organizations the caller may see, newest period first. */
  chargesOfOrganizations(ctx: RequestContext, organizationIds: string[], limit: number): Promise<Charge[]> {
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
    return qb.getMany();
  }

  /** Billed amounts (open and submitted charges) per period, route and currency, for periods in [from, to]. */
  async chargeTotals(from: string, to: string): Promise<ChargeTotalRow[]> {
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

  async existingCharges(period: string, organizationIds: string[]): Promise<Map<string, ExistingCharge>> {
    if (!organizationIds.length) return new Map();
    const rows = await this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .select(['c.id', 'c.organizationId', 'c.route', 'c.status', 'c.runId', 'c.amountCents', 'c.currency'])
      .where('c.period = :period', { period })
      .andWhere('c.organization_id IN (:...organizationIds)', { organizationIds })
      .getMany();
    return new Map(rows.map((c) => [c.organizationId, c]));
  }

  /**
   * Inserts new charges, skipping any organization already charged for the period (the unique key
   * decides, so a concurrent run cannot double them), and writes charge.created / charge.failed for
   * the ones that were settled on insert, in the same transaction. Returns the rows inserted.
   */
  async insertNewCharges(charges: Charge[], tenantKeyOf: TenantKeyOf): Promise<Charge[]> {
    if (!charges.length) return [];
    return this.tx.run(async (m) => {
      await bulkInsert(m, Charge, charges, INSERTED, { ignoreConflicts: true });
      // Our ids are fresh uuids: the ones found are exactly the rows this insert wrote.
      const ids = new Set<string>();
      for (const chunk of powerOfTwoChunks(charges, 256)) {
        const rows = await m
          .createQueryBuilder(Charge, 'c')
          .select('c.id', 'id')
          .where('c.id IN (:...chunk)', { chunk: chunk.map((c) => c.id) })
          .getRawMany<{ id: string }>();
        for (const row of rows) ids.add(row.id);
      }
      const inserted = charges.filter((c) => ids.has(c.id));
      const event = (c: Charge) => ({ tenantId: c.tenantId, data: { charge: chargeEventData(c, tenantKeyOf) } });
      await this.outbox.emitMany('charge.created', inserted.filter((c) => c.status === 'open').map(event));
      await this.outbox.emitMany('charge.failed', inserted.filter((c) => c.status === 'failed').map(event));
      return inserted;
    });
  }

  /**
   * Claims tenant charges for this run: pending ones nobody live is submitting (their run stopped
   * answering, or it is this run resuming), and with `reopenFailed` failed and unknown ones, which
   * go back to pending for another round of tries with their key. Returns the claimed rows.
   */
  async claimCharges(owner: string, ids: string[], now: Date, reopenFailed: boolean): Promise<Charge[]> {
    const claimed: Charge[] = [];
    for (const chunk of powerOfTwoChunks(ids, 512)) claimed.push(...(await this.claimChunk(owner, chunk, now, reopenFailed)));
    return claimed;
  }

  private claimChunk(owner: string, ids: string[], now: Date, reopenFailed: boolean): Promise<Charge[]> {
    return this.tx.run(async (m) => {
      await m
        .createQueryBuilder()
        .update(Charge)
        .set({ claimedBy: owner, status: 'pending' })
        .where('id IN (:...ids)', { ids })
        .andWhere("route = 'tenant'")
        .andWhere('status IN (:...statuses)', { statuses: reopenFailed ? RESENT_STATUSES : ['pending'] })
        .andWhere(
          new Brackets((w) =>
            w
              .where('claimed_by IS NULL')
              .orWhere('claimed_by = :owner', { owner })
              .orWhere(
                "claimed_by NOT IN (SELECT r.owner FROM billing_runs r WHERE r.status = 'running' AND r.owner IS NOT NULL AND r.heartbeat_at >= :stale)",
                { stale: this.staleBefore(now) },
              ),
          ),
        )
        .execute();
      return m
        .createQueryBuilder(Charge, 'c')
        .where('c.id IN (:...ids)', { ids })
        .andWhere('c.claimed_by = :owner', { owner })
        .andWhere("c.status = 'pending'")
        .orderBy('c.id')
        .getMany();
    });
  }

  /** Pending charges of the period, in id order after `afterId`, whoever holds them. */
  pendingCharges(period: string, afterId: string | null, limit: number): Promise<{ id: string }[]> {
    const qb = this.tx.manager
      .createQueryBuilder(Charge, 'c')
      .select('c.id', 'id')
      .where('c.period = :period', { period })
      .andWhere("c.status = 'pending'")
      .orderBy('c.id', 'ASC')
      .limit(limit);
    if (afterId) qb.andWhere('c.id > :afterId', { afterId });
    return qb.getRawMany<{ id: string }>();
  }

  /** A charge never sent yet takes the organization's current group uid and name (fixed since it failed). */
  async refreshChargeSnapshot(owner: string, charge: Charge, org: { name: string; externalUid: string | null }): Promise<void> {
    if (charge.attempts > 0 || (charge.externalUid === org.externalUid && charge.organizationName === org.name)) return;
    await this.tx.run((m) =>
      m
        .createQueryBuilder()
        .update(Charge)
        .set({ externalUid: org.externalUid, organizationName: org.name })
        .where("id = :id AND claimed_by = :owner AND attempts = 0 AND status = 'pending'", { id: charge.id, owner })
        .execute(),
    );
    charge.externalUid = org.externalUid;
    charge.organizationName = org.name;
  }

  /**
   * Counts a call before it is sent, and marks the charge as possibly billed until an answer says
   * otherwise: a process killed mid-call leaves both, so the count stays the calls made and the
   * charge is never taken for one no bill can exist for. False when the run no longer holds it.
   */
  async startChargeAttempt(owner: string, charge: Charge): Promise<boolean> {
    return this.tx.run(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(Charge)
        .set({ attempts: () => 'attempts + 1', possiblyBilled: true })
        .where("id = :id AND claimed_by = :owner AND status = 'pending'", { id: charge.id, owner })
        .execute();
      if (!result.affected) return false;
      charge.attempts++;
      return true;
    });
  }

  /** A try that did not settle the charge, and whether a bill may exist; false when the run no longer holds it. */
  async recordChargeAttempt(owner: string, charge: Charge, error: string): Promise<boolean> {
    return this.tx.run(async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(Charge)
        .set({ lastError: error, possiblyBilled: charge.possiblyBilled })
        .where("id = :id AND claimed_by = :owner AND status = 'pending'", { id: charge.id, owner })
        .execute();
      if (!result.affected) return false;
      charge.lastError = error;
      return true;
    });
  }

  /**
   * Settles claimed tenant charges as submitted, failed or unknown, with their events, in one transaction
   * (a run settles thousands: one commit per batch, one statement prepared once). A charge this
   * execution no longer holds is left alone. Returns the ones settled.
   */
  async settleCharges(run: { id: string; owner: string }, items: Settlement[], tenantKeyOf: TenantKeyOf): Promise<Charge[]> {
    if (!items.length) return [];
    return this.tx.run(async (m) => {
      const rows = items.map(({ charge, outcome }) => ({
        charge,
        changes:
          outcome.status === 'submitted'
            ? { status: outcome.status, externalBillId: outcome.billId, externalStatus: outcome.billStatus, lastError: null }
            : {
                status: outcome.status,
                externalBillId: charge.externalBillId,
                externalStatus: charge.externalStatus,
                lastError: outcome.error,
              },
      }));
      const done = this.tx.isPostgres ? await settlePostgres(m, run, rows) : await settleSqlite(m, run, rows);
      const settled: Charge[] = [];
      for (const { charge, changes } of rows) {
        if (!done.has(charge.id)) continue;
        Object.assign(charge, changes, { claimedBy: null, runId: run.id });
        settled.push(charge);
      }
      const event = (c: Charge) => ({ tenantId: c.tenantId, data: { charge: chargeEventData(c, tenantKeyOf) } });
      await this.outbox.emitMany('charge.created', settled.filter((c) => c.status === 'submitted').map(event));
      // An unknown charge is not a failure to announce: the bill may exist (README, Billing).
      await this.outbox.emitMany('charge.failed', settled.filter((c) => c.status === 'failed').map(event));
      return settled;
    });
  }
}

async function releaseClaims(m: EntityManager, owner: string): Promise<void> {
  await m
    .createQueryBuilder()
    .update(Charge)
    .set({ claimedBy: null })
    .where("claimed_by = :owner AND status = 'pending'", { owner })
    .execute();
}

interface SettleRow {
  charge: Charge;
  changes: Pick<Charge, 'status' | 'externalBillId' | 'externalStatus' | 'lastError'>;
}

// SQLite runs in this process: one UPDATE per charge is cheap, and it reports each row's outcome.
async function settleSqlite(m: EntityManager, run: { id: string; owner: string }, rows: SettleRow[]): Promise<Set<string>> {
  const done = new Set<string>();
  for (const { charge, changes } of rows) {
    const result = await m.queryRunner!.query(
      'UPDATE charges SET status = ?, external_bill_id = ?, external_status = ?, last_error = ?, possibly_billed = ?, ' +
        "claimed_by = NULL, run_id = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ? AND claimed_by = ? AND status = 'pending'",
      [
        changes.status,
        changes.externalBillId,
        changes.externalStatus,
        changes.lastError,
        charge.possiblyBilled ? 1 : 0,
        run.id,
        charge.id,
        run.owner,
      ],
      true,
    );
    if (result.affected) done.add(charge.id);
  }
  return done;
}

// PostgreSQL is a round trip away: the whole batch in one UPDATE … FROM (VALUES …).
async function settlePostgres(m: EntityManager, run: { id: string; owner: string }, rows: SettleRow[]): Promise<Set<string>> {
  const params: unknown[] = [run.id, run.owner];
  const tuples = rows.map(({ charge, changes }) => {
    params.push(charge.id, changes.status, changes.externalBillId, changes.externalStatus, changes.lastError, charge.possiblyBilled);
    const n = params.length;
    return `($${n - 5}::uuid, $${n - 4}::varchar, $${n - 3}::varchar, $${n - 2}::varchar, $${n - 1}::varchar, $${n}::boolean)`;
  });
  const updated: { id: string }[] = await m.query(
    'UPDATE charges AS c SET status = v.status, external_bill_id = v.bill_id, external_status = v.bill_status, last_error = v.error, ' +
      'possibly_billed = v.possibly_billed, claimed_by = NULL, run_id = $1, updated_at = CURRENT_TIMESTAMP ' +
      `FROM (VALUES ${tuples.join(', ')}) AS v(id, status, bill_id, bill_status, error, possibly_billed) ` +
      "WHERE c.id = v.id AND c.claimed_by = $2 AND c.status = 'pending' RETURNING c.id",
    params,
  );
  // TypeORM answers an UPDATE … RETURNING with [rows, count].
  const list = (Array.isArray(updated[0]) ? updated[0] : updated) as { id: string }[];
  return new Set(list.map((r) => r.id));
}

function chargeEventData(c: Charge, tenantKeyOf: TenantKeyOf): ChargeEventData {
  return {
    id: c.id,
    organizationId: c.organizationId,
    tenantKey: tenantKeyOf(c.tenantId),
    period: c.period,
    amountCents: c.amountCents,
    currency: c.currency,
    route: c.route,
    status: c.status,
    externalBillId: c.externalBillId,
    attempts: c.attempts,
    lastError: c.lastError,
  };
}
