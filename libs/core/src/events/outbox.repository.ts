import { Injectable } from '@nestjs/common';
import { Brackets, In, IsNull, LessThan, type WhereExpressionBuilder } from 'typeorm';
import { bulkInsert } from '../database/bulk-insert';
import { insertRows } from '../database/insert-rows';
import { pruneRows } from '../database/prune';
import { TransactionService } from '../database/transaction.service';
import { OutboxEvent } from './outbox-event.entity';

export type NewOutboxEvent = Pick<OutboxEvent, 'name' | 'tenantId' | 'data'>;

/** Every query of the outbox: writing events in the caller's transaction, claiming and marking them. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly tx: TransactionService) {}

  async insert(events: NewOutboxEvent[]): Promise<void> {
    const m = this.tx.manager;
    const rows = events.map((e) => m.create(OutboxEvent, e));
    if (rows.length === 1) await insertRows(m, OutboxEvent, rows[0]);
    else await bulkInsert(m, OutboxEvent, rows, ['id', 'name', 'tenantId', 'data', 'occurredAt', 'dispatchedAt']);
  }

  /** Whether any event waits that nobody holds: a read without a transaction or a lock (most polls find nothing). */
  async anyClaimable(now: Date): Promise<boolean> {
    const row: unknown = await claimable(this.tx.manager.createQueryBuilder(OutboxEvent, 'e').select('e.id'), now).limit(1).getRawOne();
    return !!row;
  }

  /**
   * Takes up to `limit` of the oldest undispatched rows nobody holds, under a lease until
   * `leaseUntil`, committed before this returns. On PostgreSQL SKIP LOCKED lets processes claim side by side.
   */
  claim(now: Date, leaseUntil: Date, limit: number): Promise<OutboxEvent[]> {
    return this.tx.run(async () => {
      const m = this.tx.manager;
      const qb = claimable(m.createQueryBuilder(OutboxEvent, 'e'), now)
        .orderBy('e.occurred_at', 'ASC')
        .addOrderBy('e.id', 'ASC')
        .limit(limit);
      if (this.tx.isPostgres) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      const rows = await qb.getMany();
      if (rows.length) await m.update(OutboxEvent, { id: In(rows.map((r) => r.id)) }, { claimedUntil: leaseUntil });
      return rows;
    });
  }

  /** Gives claimed rows back (their enqueueing failed), unless they were dispatched meanwhile. */
  async release(ids: string[]): Promise<void> {
    await this.tx.manager.update(OutboxEvent, { id: In(ids), dispatchedAt: IsNull() }, { claimedUntil: null });
  }

  async markDispatched(ids: string[], at: Date): Promise<void> {
    await this.tx.manager.update(OutboxEvent, { id: In(ids) }, { dispatchedAt: at, claimedUntil: null });
  }

  /** How many events wait to be dispatched, and when the oldest of them happened (both read from the (dispatched_at, occurred_at) index). */
  async undispatched(): Promise<{ count: number; oldest: Date | null }> {
    const m = this.tx.manager;
    const [count, oldest] = await Promise.all([
      m.countBy(OutboxEvent, { dispatchedAt: IsNull() }),
      m.findOne(OutboxEvent, { select: { id: true, occurredAt: true }, where: { dispatchedAt: IsNull() }, order: { occurredAt: 'ASC' } }),
    ]);
    return { count, oldest: oldest?.occurredAt ?? null };
  }

  /** Deletes events dispatched before `before`, a batch at a time; how many went. */
  pruneDispatchedBefore(before: Date): Promise<number> {
    return pruneRows(this.tx, OutboxEvent, { dispatchedAt: LessThan(before) });
  }
}

function claimable<Q extends WhereExpressionBuilder>(qb: Q, now: Date): Q {
  return qb
    .where('e.dispatched_at IS NULL')
    .andWhere(new Brackets((w) => w.where('e.claimed_until IS NULL').orWhere('e.claimed_until < :now', { now })));
}
