import { Injectable } from '@nestjs/common';
import { AppConfig, bulkInsert, ChargeEventData, OutboxService, powerOfTwoChunks, TransactionService } from '@portico/core';
import { Brackets, EntityManager } from 'typeorm';
import { Charge, ChargeStatus, RESENT_STATUSES } from '../entities/charge.entity';
import { staleBefore } from './lease';

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

/** The charges table as billing runs write it: bulk inserts, claims, settlements, each with its events. */
@Injectable()
export class ChargeStore {
  constructor(
    private readonly tx: TransactionService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  async existing(period: string, organizationIds: string[]): Promise<Map<string, ExistingCharge>> {
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
  async insertNew(charges: Charge[], tenantKeyOf: TenantKeyOf): Promise<Charge[]> {
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
      await this.outbox.emitMany(m, 'charge.created', inserted.filter((c) => c.status === 'open').map(event));
      await this.outbox.emitMany(m, 'charge.failed', inserted.filter((c) => c.status === 'failed').map(event));
      return inserted;
    });
  }

  /**
   * Claims tenant charges for this run: pending ones nobody live is submitting (their run stopped
   * answering, or it is this run resuming), and with `reopenFailed` failed and unknown ones, which
   * go back to pending for another round of tries with their key. Returns the claimed rows.
   */
  async claim(owner: string, ids: string[], now: Date, reopenFailed: boolean): Promise<Charge[]> {
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
                { stale: staleBefore(now, this.config.billing.staleAfterMs) },
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
  pendingPage(period: string, afterId: string | null, limit: number): Promise<{ id: string }[]> {
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
  async refreshSnapshot(owner: string, charge: Charge, org: { name: string; externalUid: string | null }): Promise<void> {
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
  async startAttempt(owner: string, charge: Charge): Promise<boolean> {
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
  async recordAttempt(owner: string, charge: Charge, error: string): Promise<boolean> {
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
  async settleMany(run: { id: string; owner: string }, items: Settlement[], tenantKeyOf: TenantKeyOf): Promise<Charge[]> {
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
      await this.outbox.emitMany(m, 'charge.created', settled.filter((c) => c.status === 'submitted').map(event));
      // An unknown charge is not a failure to announce: the bill may exist (README, Billing).
      await this.outbox.emitMany(m, 'charge.failed', settled.filter((c) => c.status === 'failed').map(event));
      return settled;
    });
  }
}

interface SettleRow {
  charge: Charge;
  changes: Pick<Charge, 'status' | 'externalBillId' | 'externalStatus' | 'lastError'>;
}

// SQLite runs in this process: one prepared UPDATE per charge costs microseconds.
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

/** How one tenant charge ended in a run (its calls were counted as they were made). */
export interface Settlement {
  charge: Charge;
  outcome: { status: 'submitted'; billId: string; billStatus: string | null } | { status: 'failed' | 'unknown'; error: string };
}

export function chargeEventData(c: Charge, tenantKeyOf: TenantKeyOf): ChargeEventData {
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
