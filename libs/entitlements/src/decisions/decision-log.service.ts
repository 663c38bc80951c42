import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Every, Page } from '@portico/core';
import type { Decision, DecisionCode } from '../check/decision';
import type { CheckParams } from '../check/check-query';
import { DecisionQueryDto, DecisionView } from '../dto/verify.dto';
import { EntitlementDecision } from '../entities/entitlement-decision.entity';
import { DecisionLogRepository, DecisionRow } from './decision-log.repository';

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

  constructor(private readonly decisions: DecisionLogRepository) {}

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
    const page = await this.decisions.list(query);
    return { ...page, items: page.items.map(toView) };
  }

  /**
   * Each chunk is committed on its own: on SQLite a transaction holds the one connection, so it
   * must not stay open while the event loop lets waiting checks through between chunks.
   */
  private async write(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.detailed = 0;
    const rows = batch.map((p): DecisionRow => printableRow({ id: randomUUID(), at: p.at, count: p.count, ...p.row }));
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      // On SQLite each insert holds the event loop: let waiting checks through between them.
      if (i) await yieldToChecks();
      await this.decisions.insert(rows.slice(i, i + ROWS_PER_INSERT));
    }
    if (this.pruning.due()) await this.decisions.prune(new Date(Date.now() - RETENTION_DAYS * 86_400_000));
  }
}

const yieldToChecks = () => new Promise((resolve) => setImmediate(resolve));

// Logged as received, within the column sizes (control characters are replaced when written).
function clip(value: string | null | undefined, max: number): string | null {
  return value ? value.slice(0, max) : null;
}

const CONTROL = /\p{Cc}/u;
const CONTROL_ALL = /\p{Cc}/gu;

// PostgreSQL refuses a NUL in text; no control character is worth keeping in a log.
function printableRow(row: DecisionRow): DecisionRow {
  const clean: Record<string, unknown> = { ...row };
  for (const [name, value] of Object.entries(clean)) {
    if (typeof value === 'string' && CONTROL.test(value)) clean[name] = value.replace(CONTROL_ALL, '\uFFFD');
  }
  return clean as DecisionRow;
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
