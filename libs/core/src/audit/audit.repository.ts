import { Injectable } from '@nestjs/common';
import { And, Equal, FindOperator, FindOptionsWhere, LessThan, MoreThan, MoreThanOrEqual, Raw } from 'typeorm';
import { TransactionService } from '../database/transaction.service';
import { pageWindow, PageQueryDto } from '../pagination/pagination';
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
    return this.tx.manager.findAndCount(AuditEvent, {
      where: where(selection),
      order: { at: 'DESC', id: 'DESC' },
      ...pageWindow(page),
    });
  }

  /**
   * Up to `limit` events after `cursor`, oldest first: keyset pagination on (at, id), so each page
   * costs the same however deep into the log it is.
   */
  after(selection: AuditSelection, cursor: AuditCursor | null, limit: number): Promise<AuditEvent[]> {
    const conditions = cursor
      ? [where(selection, MoreThan(cursor.at)), { ...where(selection, Equal(cursor.at)), id: MoreThan(cursor.id) }]
      : where(selection);
    return this.tx.manager.find(AuditEvent, { where: conditions, order: { at: 'ASC', id: 'ASC' }, take: limit });
  }
}

function where(s: AuditSelection, atCursor?: FindOperator<Date>): FindOptionsWhere<AuditEvent> {
  const w: FindOptionsWhere<AuditEvent> = {};
  if (s.tenantKey) w.tenantKey = s.tenantKey;
  if (s.action) w.action = s.action;
  else if (s.actionPrefix) w.action = startsWith('action', s.actionPrefix);
  if (s.actor) w.actorLabel = startsWith('actor', s.actor);
  const at: FindOperator<Date>[] = [];
  if (s.since) at.push(MoreThanOrEqual(s.since));
  if (s.until) at.push(LessThan(s.until));
  if (atCursor) at.push(atCursor);
  if (at.length) w.at = at.length === 1 ? at[0] : And(...at);
  return w;
}

// substr, not LIKE: the same answer on SQLite (whose LIKE ignores case) and PostgreSQL, and no wildcards to escape.
function startsWith(name: string, prefix: string): FindOperator<string> {
  return Raw((column) => `substr(${column}, 1, CAST(:${name}Length AS INTEGER)) = :${name}Prefix`, {
    [`${name}Prefix`]: prefix,
    [`${name}Length`]: prefix.length,
  });
}
