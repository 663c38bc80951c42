import { Injectable, OnModuleInit } from '@nestjs/common';
import { connectionQueue } from '@portico/core';
import { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { VirtualEntitlement } from '../entities/virtual-entitlement.entity';

export interface KeyRow {
  status: string;
  expiresAt: Date | null;
  server: string;
  className: string;
  realKey: string;
}

interface RawRow {
  key: string;
  status: string;
  expires_at: unknown;
  server: string;
  class_name: string;
  real_key: string;
}

const COLUMNS =
  'SELECT v."key" AS "key", v.status AS status, v.expires_at AS expires_at, c.server AS server, c.name AS class_name, c.real_key AS real_key ';

/**
 * The lookup of one key: a search of the unique (key, class_id) index, then the class by its
 * primary key.
 */
export function lookupSql(placeholder: string): string {
  return `${COLUMNS}FROM virtual_entitlements v INNER JOIN entitlement_classes c ON c.id = v.class_id WHERE v."key" = ${placeholder}`;
}

/**
 * The query a check runs: the same for every check waiting at that moment, the keys given as one
 * parameter (PostgreSQL: an array; SQLite: a JSON array, where CROSS JOIN keeps the key index as
 * the outer loop).
 */
export function batchLookupSql(kind: 'postgres' | 'sqlite'): string {
  return kind === 'postgres'
    ? `${COLUMNS}FROM virtual_entitlements v INNER JOIN entitlement_classes c ON c.id = v.class_id WHERE v."key" = ANY($1::varchar[])`
    : `${COLUMNS}FROM virtual_entitlements v CROSS JOIN entitlement_classes c WHERE c.id = v.class_id AND v."key" IN (SELECT value FROM json_each(?))`;
}

const STATEMENT_NAME = 'portico_entitlement_lookup';
// Keys per query: far more than the checks that arrive in one turn of the event loop.
const MAX_BATCH = 500;

type PgPool = { query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: RawRow[] }> };
type SqliteConnection = { prepare(sql: string): { all(...params: unknown[]): RawRow[] } };

/**
 * Runs the check's lookup on the driver underneath TypeORM, the check being the hottest read
 * Portico has. The checks that arrive within one turn of the event loop share one query: each
 * still reads the rows as they are after it arrived (nothing is cached), but the database is
 * entered once per batch instead of once per check, which is most of the cost of so small a read
 * (on SQLite a read transaction and its locks, on PostgreSQL a round trip). PostgreSQL runs it as
 * a named prepared statement, planned once per pooled connection; SQLite as one prepared
 * better-sqlite3 statement, in the connection's queue. Reads only, never inside a transaction;
 * every other query of the domain is in entitlements.repository.ts.
 */
@Injectable()
export class KeyLookupRepository implements OnModuleInit {
  private runBatch: (keys: string[]) => Promise<RawRow[]>;
  private expiresAt: ColumnMetadata;
  private waiting = new Map<string, ((rows: RawRow[] | Error) => void)[]>();

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.expiresAt = this.dataSource.getMetadata(VirtualEntitlement).findColumnWithPropertyName('expiresAt')!;
    const driver = this.dataSource.driver as unknown as { master?: PgPool; databaseConnection?: SqliteConnection };
    if (this.dataSource.options.type === 'postgres' && driver.master) {
      const pool = driver.master;
      const text = batchLookupSql('postgres');
      this.runBatch = async (keys) => (await pool.query({ name: STATEMENT_NAME, text, values: [keys] })).rows;
    } else if (this.dataSource.options.type === 'better-sqlite3' && driver.databaseConnection) {
      const connection = driver.databaseConnection;
      // The connection is shared: wait while a transaction holds it, so no uncommitted row is read.
      const queue = connectionQueue(this.dataSource)!;
      let statement: ReturnType<SqliteConnection['prepare']> | null = null;
      this.runBatch = async (keys) =>
        queue.statement(() => (statement ??= connection.prepare(batchLookupSql('sqlite'))).all(JSON.stringify(keys)));
    } else {
      const sql = lookupSql(this.dataSource.options.type === 'postgres' ? '$1' : '?');
      this.runBatch = async (keys) => (await Promise.all(keys.map((k) => this.dataSource.query(sql, [k])))).flat();
    }
  }

  async find(key: string): Promise<KeyRow[]> {
    const rows = await this.batched(key);
    return rows.map((r) => ({
      status: r.status,
      expiresAt: r.expires_at === null ? null : (this.dataSource.driver.prepareHydratedValue(r.expires_at, this.expiresAt) as Date),
      server: r.server,
      className: r.class_name,
      realKey: r.real_key,
    }));
  }

  private batched(key: string): Promise<RawRow[]> {
    return new Promise((resolve, reject) => {
      if (!this.waiting.size) setImmediate(() => this.flush());
      const callbacks = this.waiting.get(key) ?? [];
      callbacks.push((result) => (result instanceof Error ? reject(result) : resolve(result)));
      this.waiting.set(key, callbacks);
    });
  }

  private flush(): void {
    const all = this.waiting;
    this.waiting = new Map();
    const keys = [...all.keys()];
    for (let i = 0; i < keys.length; i += MAX_BATCH) {
      const batch = keys.slice(i, i + MAX_BATCH);
      const answer = (k: string, result: RawRow[] | Error) => all.get(k)!.forEach((done) => done(result));
      this.runBatch(batch).then(
        (rows) => {
          const byKey = new Map<string, RawRow[]>();
          for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row]);
          for (const k of batch) answer(k, byKey.get(k) ?? []);
        },
        (err: unknown) => {
          const error = err instanceof Error ? err : new Error(String(err));
          for (const k of batch) answer(k, error);
        },
      );
    }
  }
}
