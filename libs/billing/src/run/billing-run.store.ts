import { Injectable } from '@nestjs/common';
import { AppConfig, TransactionService } from '@portico/core';
import { Brackets, EntityManager } from 'typeorm';
import { BillingRun, BillingRunTotal } from '../entities/billing-run.entity';
import { Charge } from '../entities/charge.entity';
import { staleBefore } from './lease';

/** What a run has done so far, from its charges. */
export interface RunChargeStats {
  directCharges: number;
  tenantCharges: number;
  failedCharges: number;
  pendingCharges: number;
  unknownCharges: number;
  totals: BillingRunTotal[];
}

/** The billing_runs table: ownership (who executes a run), heartbeats and outcomes. */
@Injectable()
export class BillingRunStore {
  constructor(
    private readonly tx: TransactionService,
    private readonly config: AppConfig,
  ) {}

  /** Heartbeats older than this are stalled runs. */
  staleBefore(now: Date): Date {
    return staleBefore(now, this.config.billing.staleAfterMs);
  }

  /** Takes the run if it waits to start or its owner stopped answering; null when another process has it. */
  async claim(id: string, owner: string, now: Date): Promise<BillingRun | null> {
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
  async beat(id: string, owner: string, now: Date, progress: Pick<BillingRun, 'organizations' | 'alreadyBilled'>): Promise<boolean> {
    const stats = await this.stats(id);
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

  async finish(
    id: string,
    owner: string,
    outcome: { status: 'completed' | 'failed'; lastError?: string },
    now: Date,
    progress: Pick<BillingRun, 'organizations' | 'alreadyBilled'>,
  ): Promise<void> {
    const stats = await this.stats(id);
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
  async release(id: string, owner: string, progress: Pick<BillingRun, 'organizations' | 'alreadyBilled'>): Promise<void> {
    const stats = await this.stats(id);
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
  unfinished(period: string): Promise<BillingRun[]> {
    return this.tx.manager
      .createQueryBuilder(BillingRun, 'r')
      .where('r.period = :period', { period })
      .andWhere("r.status IN ('queued', 'running')")
      .orderBy('r.created_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .getMany();
  }

  /** Runs nobody is executing: never started (queued before `queuedBefore`) or whose heartbeat stopped. */
  async resumable(now: Date, queuedBefore: Date): Promise<BillingRun[]> {
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

  async stats(runId: string): Promise<RunChargeStats> {
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
}

async function releaseClaims(m: EntityManager, owner: string): Promise<void> {
  await m
    .createQueryBuilder()
    .update(Charge)
    .set({ claimedBy: null })
    .where("claimed_by = :owner AND status = 'pending'", { owner })
    .execute();
}
