import { Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
import { TransactionService } from '../database/transaction.service';
import { PageQueryDto, pageWindow } from '../pagination/pagination';
import { AuditEvent } from './audit-event.entity';

/** Which audit events: every field optional, all given ones must hold. */
export interface AuditSelection {
  tenantKey?: string;
  /** Exactly this action. */
  action?: string;
  /** Actions starting with this (`user.` for every user event). */
  actionPrefix?: string;
  /** Actors whose label starts with this (an email, `tenant:acme`, `api-token:ci`). */
  actor?: string;
  /** Events this user did or that were done to them (their account is the target). */
  userId?: string;
  /** At or after. */
  since?: Date;
  /** Before. */
  until?: Date;
}

/** Where an export page ended: the next one starts after it. */
export interface AuditCursor {
  at: Date;
  id: string;
}

/** The audit log's queries. */
@Injectable()
export class AuditRepository {
  constructor(private readonly tx: TransactionService) {}

  /** A page of events, newest first, and how many match. */
  list(selection: AuditSelection, page: PageQueryDto): Promise<[AuditEvent[], number]> {
    const { skip, take } = pageWindow(page);
    return this.select(selection).orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').offset(skip).limit(take).getManyAndCount();
  }

  /** The latest events a user did or that were done to them, newest first. */
  involving(userId: string, limit: number): Promise<AuditEvent[]> {
    return this.select({ userId }).orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').limit(limit).getMany();
  }

  /** Which of these exact actions the log holds at least once (one index lookup each). */
  async recordedActions(actions: string[]): Promise<string[]> {
    if (!actions.length) return [];
    const rows: { action: string }[] = await this.tx.manager
      .createQueryBuilder(AuditEvent, 'e')
      .select('DISTINCT e.action', 'action')
      .where('e.action IN (:...actions)', { actions })
      .getRawMany();
    return rows.map((r) => r.action);
  }

  /** Events of these exact actions at or after `since`, counted per UTC month (`YYYY-MM`) and action. */
  async monthlyCounts(actions: string[], since: Date): Promise<{ month: string; action: string; count: number }[]> {
    // The timestamp as text starts `YYYY-MM` on both databases (both keep UTC).
    const month = 'substr(CAST(e.at AS TEXT), 1, 7)';
    const rows: { month: string; action: string; count: string | number }[] = await this.tx.manager
      .createQueryBuilder(AuditEvent, 'e')
      .select(month, 'month')
      .addSelect('e.action', 'action')
      .addSelect('COUNT(*)', 'count')
      .where('e.action IN (:...actions)', { actions })
      .andWhere('e.at >= :since', { since })
      .groupBy(month)
      .addGroupBy('e.action')
      .getRawMany();
    return rows.map((r) => ({ month: r.month, action: r.action, count: Number(r.count) }));
  }

  /**
   * Up to `limit` events after `cursor`, oldest first: keyset pagination on (at, id), so each page
   * is one range scan of the (at, id) index from the cursor, however deep into the log it is.
   */
  after(selection: AuditSelection, cursor: AuditCursor | null, limit: number): Promise<AuditEvent[]> {
    const qb = this.select(selection);
    // `at >= …` first, a plain range both databases start the index scan from; the OR only drops the cursor's own ties.
    if (cursor) qb.andWhere('e.at >= :cursorAt AND (e.at > :cursorAt OR e.id > :cursorId)', { cursorAt: cursor.at, cursorId: cursor.id });
    return qb.orderBy('e.at', 'ASC').addOrderBy('e.id', 'ASC').limit(limit).getMany();
  }

  private select(s: AuditSelection): SelectQueryBuilder<AuditEvent> {
    const qb = this.tx.manager.createQueryBuilder(AuditEvent, 'e');
    if (s.tenantKey) qb.andWhere('e.tenantKey = :tenantKey', { tenantKey: s.tenantKey });
    if (s.action) qb.andWhere('e.action = :action', { action: s.action });
    // substr, not LIKE: the same answer on SQLite (whose LIKE ignores case) and PostgreSQL, and no wildcards to escape.
    else if (s.actionPrefix)
      qb.andWhere('substr(e.action, 1, CAST(:actionLength AS INTEGER)) = :actionPrefix', {
        actionPrefix: s.actionPrefix,
        actionLength: s.actionPrefix.length,
      });
    if (s.actor)
      qb.andWhere('substr(e.actorLabel, 1, CAST(:actorLength AS INTEGER)) = :actorPrefix', {
        actorPrefix: s.actor,
        actorLength: s.actor.length,
      });
    // Each side of the OR has its own (actor_id, at) or (target_id, at) index.
    if (s.userId) qb.andWhere("(e.actorId = :userId OR (e.targetType = 'user' AND e.targetId = :userId))", { userId: s.userId });
    if (s.since) qb.andWhere('e.at >= :since', { since: s.since });
    if (s.until) qb.andWhere('e.at < :until', { until: s.until });
    return qb;
  }
}
