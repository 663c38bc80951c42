import { Injectable } from '@nestjs/common';
import { bulkInsert, containsPattern, LIKE_ESCAPE, Page, pruneRows, RequestContext, scopedList, TransactionService } from '@portico/core';
import { LessThan } from 'typeorm';
import { DecisionQueryDto } from '../dto/verify.dto';
import { EntitlementDecision } from '../entities/entitlement-decision.entity';

export type DecisionRow = Omit<EntitlementDecision, 'createdAt' | 'updatedAt'>;

const INSERTED: (keyof DecisionRow & string)[] = [
  'id',
  'at',
  'count',
  'code',
  'channel',
  'via',
  'server',
  'className',
  'key',
  'remoteIp',
  'callerIp',
  'detail',
];

// The log belongs to no tenant: the console and the platform API read all of it.
const UNSCOPED = RequestContext.system();

/** Every query of the entitlement decision log. */
@Injectable()
export class DecisionLogRepository {
  constructor(private readonly tx: TransactionService) {}

  /** Writes one chunk of rows and commits it. */
  async insert(rows: DecisionRow[]): Promise<void> {
    await this.tx.run((m) => bulkInsert(m, EntitlementDecision, rows as EntitlementDecision[], INSERTED));
  }

  list(query: DecisionQueryDto): Promise<Page<EntitlementDecision>> {
    const qb = this.tx.manager.createQueryBuilder(EntitlementDecision, 'd').orderBy('d.at', 'DESC').addOrderBy('d.id', 'DESC');
    if (query.code) qb.andWhere('d.code = :code', { code: query.code });
    if (query.server) qb.andWhere('d.server = :server', { server: query.server.trim().toLowerCase() });
    if (query.key) qb.andWhere(`LOWER(d.key) LIKE :key ${LIKE_ESCAPE}`, { key: containsPattern(query.key) });
    if (query.since) qb.andWhere('d.at >= :since', { since: query.since });
    return scopedList(UNSCOPED, qb, query, {}, (rows) => rows);
  }

  /** Deletes the decisions logged before `before`, in rounds; how many went. */
  prune(before: Date): Promise<number> {
    return pruneRows(this.tx, EntitlementDecision, { at: LessThan(before) });
  }
}
