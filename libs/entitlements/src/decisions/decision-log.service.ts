import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { containsPattern, Every, LIKE_ESCAPE, Page, pageWindow, pruneRows, TransactionService } from '@portico/core';
import { EntityManager, LessThan } from 'typeorm';
import type { Decision, DecisionCode } from '../check/decision';
import type { CheckParams } from '../check/check-query';
import { DecisionQueryDto, DecisionView } from '../dto/verify.dto';
import { EntitlementDecision } from '../entities/entitlement-decision.entity';

export interface DecisionRecord {
  channel: 'check' | 'verify';
  params: Partial<CheckParams>;
  callerIp: string | null;
  decision: Decision;
}

interface Pending {
  at: Date;
  count: number;
  row: Omit<EntitlementDecision, 'id' | 'createdAt' | 'updatedAt' | 'at' | 'count'>;
}

const FLUSH_MS = 1000;
// Distinct decisions kept in full per window. Past that (a flood of different keys) a decision only
// counts towards one row per code, channel, server and class, without its key and addresses.
const MAX_DETAILED = 100;
const ROWS_PER_INSERT = 100;
const RETENTION_DAYS = 14;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The decision log, kept off the check's hot path: a decision is added to an in-memory window in
 * which identical decisions are counted, and the window is written every second in one insert
 * (and on shutdown, and before the log is read).
 */
@Injectable()
export class DecisionLogService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('EntitlementDecisions');
  private pending = new Map<string, Pending>();
  private detailed = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly pruning = new Every(PRUNE_EVERY_MS);

  constructor(private readonly tx: TransactionService) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  record(entry: DecisionRecord): void {
    const { params, decision } = entry;
    const row = {
      code: decision.code,
      channel: entry.channel,
      via: decision.via,
      server: clip(params.server, 255),
      className: clip(params.className, 200),
      key: clip(params.key, 255),
      remoteIp: clip(params.remoteIp, 64),
      callerIp: clip(entry.callerIp, 64),
      detail: clip(decision.detail, 200),
    };
    const id = `${row.code}\u0000${row.channel}\u0000${row.via}\u0000${row.server}\u0000${row.className}\u0000${row.key}\u0000${row.remoteIp}\u0000${row.callerIp}\u0000${row.detail}`;
    const seen = this.pending.get(id);
    if (seen) {
      seen.count++;
    } else if (this.detailed < MAX_DETAILED) {
      this.detailed++;
      this.pending.set(id, { at: new Date(), count: 1, row });
    } else {
      const summary = `${row.code}\u0000${row.channel}\u0000${row.via}\u0000${row.server}\u0000${row.className}\u0000*`;
      const aggregate = this.pending.get(summary);
      if (aggregate) aggregate.count++;
      else
        this.pending.set(summary, {
          at: new Date(),
          count: 1,
          row: {
            ...row,
            key: null,
            remoteIp: null,
            callerIp: null,
            detail: `more than ${MAX_DETAILED} different decisions in a second: counted only`,
          },
        });
    }
  }

  /** Writes the current window. Flushes never overlap, so rows keep their order. */
  flush(): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.write())
      .catch((err: unknown) => this.logger.error(`Could not write entitlement decisions: ${String(err)}`));
    return this.flushing;
  }

  async list(query: DecisionQueryDto): Promise<Page<DecisionView>> {
    await this.flush();
    const qb = this.tx.manager.createQueryBuilder(EntitlementDecision, 'd').orderBy('d.at', 'DESC').addOrderBy('d.id', 'DESC');
    if (query.code) qb.andWhere('d.code = :code', { code: query.code });
    if (query.server) qb.andWhere('d.server = :server', { server: query.server.trim().toLowerCase() });
    if (query.key) qb.andWhere(`LOWER(d.key) LIKE :key ${LIKE_ESCAPE}`, { key: containsPattern(query.key) });
    if (query.since) qb.andWhere('d.at >= :since', { since: query.since });
    const { take, skip } = pageWindow(query);
    const [rows, total] = await qb.take(take).skip(skip).getManyAndCount();
    return { items: rows.map(toView), total, limit: take, offset: skip };
  }

  private async write(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.detailed = 0;
    if (batch.length) {
      await this.tx.run(async (m) => {
        const rows = batch.map((p): DecisionRow => ({ id: randomUUID(), at: p.at, count: p.count, ...p.row }));
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
          await insertRows(m, rows.slice(i, i + ROWS_PER_INSERT));
          // On SQLite each insert holds the event loop: let waiting checks through between them.
          await yieldToChecks();
        }
      });
    }
    if (this.pruning.due())
      await pruneRows(this.tx, EntitlementDecision, { at: LessThan(new Date(Date.now() - RETENTION_DAYS * 86_400_000)) });
  }
}

const yieldToChecks = () => new Promise((resolve) => setImmediate(resolve));

type DecisionRow = Omit<EntitlementDecision, 'createdAt' | 'updatedAt'>;
const INSERTED = ['id', 'at', 'count', 'code', 'channel', 'via', 'server', 'className', 'key', 'remoteIp', 'callerIp', 'detail'] as const;

/**
 * One multi-row INSERT of plain rows, the time converted by the driver as TypeORM converts it.
 * Not `manager.create` and `manager.insert`: they build each row and its SQL through the entity
 * metadata and read every row back for its defaults, which holds the event loop (and so the
 * checks) for milliseconds per flush.
 */
async function insertRows(m: EntityManager, rows: DecisionRow[]): Promise<void> {
  const metadata = m.connection.getMetadata(EntitlementDecision);
  const at = metadata.findColumnWithPropertyName('at')!;
  const names = INSERTED.map((p) => `"${metadata.findColumnWithPropertyName(p)!.databaseName}"`).join(', ');
  const postgres = m.connection.options.type === 'postgres';
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const marks = INSERTED.map((p) => {
      params.push(p === 'at' ? m.connection.driver.preparePersistentValue(row.at, at) : printable(row[p]));
      return postgres ? `$${params.length}` : '?';
    });
    return `(${marks.join(', ')})`;
  });
  await m.query(`INSERT INTO "${metadata.tableName}" (${names}) VALUES ${tuples.join(', ')}`, params);
}

// Logged as received, within the column sizes (control characters are replaced when written).
function clip(value: string | null | undefined, max: number): string | null {
  return value ? value.slice(0, max) : null;
}

const CONTROL = /\p{Cc}/u;
const CONTROL_ALL = /\p{Cc}/gu;

// PostgreSQL refuses a NUL in text; no control character is worth keeping in a log.
function printable(value: unknown): unknown {
  return typeof value === 'string' && CONTROL.test(value) ? value.replace(CONTROL_ALL, '\uFFFD') : value;
}

function toView(d: EntitlementDecision): DecisionView {
  return {
    at: d.at,
    count: d.count,
    code: d.code as DecisionCode,
    channel: d.channel,
    via: d.via,
    server: d.server,
    class: d.className,
    key: d.key,
    remoteIp: d.remoteIp,
    callerIp: d.callerIp,
    detail: d.detail,
  };
}
