import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { PorticoNamingStrategy } from '../../libs/core/src/database/naming.strategy';

export type DbKind = 'sqlite' | 'postgres';

export interface TestDatabase {
  kind: DbKind;
  url: string;
  drop(): Promise<void>;
}

/**
 * The databases the e2e suites run against: SQLite always, PostgreSQL when TEST_DATABASE_URL is
 * set. Under CI=true PostgreSQL is required: a missing peer fails the run instead of hiding.
 */
export function databaseKinds(): DbKind[] {
  if (process.env.TEST_DATABASE_URL || process.env.CI === 'true') return ['sqlite', 'postgres'];
  process.stderr.write('\n  [skipped] PostgreSQL e2e variants: set TEST_DATABASE_URL to run them\n');
  return ['sqlite'];
}

/** A fresh, empty database of the given kind, dropped again by drop(). */
export async function freshDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'portico-test-'));
    return { kind, url: `sqlite:${join(dir, 'portico.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set, but CI=true requires the PostgreSQL variant of this test');
  const name = `portico_t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * A data source holding only `entities`, their tables made from the entities, for specs of the
 * database helpers: in memory for SQLite, `db` for PostgreSQL. Destroy it before dropping `db`.
 */
export function entityDataSource(db: TestDatabase, entities: DataSourceOptions['entities']): Promise<DataSource> {
  return new DataSource({
    ...(db.kind === 'postgres' ? { type: 'postgres' as const, url: db.url } : { type: 'better-sqlite3' as const, database: ':memory:' }),
    entities,
    synchronize: true,
    namingStrategy: new PorticoNamingStrategy(),
  }).initialize();
}
