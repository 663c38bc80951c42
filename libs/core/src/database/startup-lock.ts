import type { DataSource } from 'typeorm';

// Any fixed number, the same in every Portico process: the advisory lock of first-start work.
const POSTGRES_LOCK_KEY = 7_301_512_204;
const SQLITE_RETRY_MS = 100;

/** The part of better-sqlite3's connection used here (the package ships no types). */
interface SqliteConnection {
  exec(sql: string): unknown;
  close(): unknown;
}
type SqliteOpen = new (file: string, options: { timeout: number }) => SqliteConnection;

/**
 * Runs `work` (migrations, the first platform admin, the ADMIN_API_TOKEN) in one process at a time
 * among all those sharing the database, as Keycloak's migration lock does: instances starting
 * together on a fresh database take turns instead of racing each other's CREATE TABLEs and inserts.
 * On PostgreSQL a session-level advisory lock on a connection of its own, which PostgreSQL drops
 * with the connection if the process dies; on SQLite the write lock of a lock file beside the
 * database, which the operating system drops with the process. `onWait` is called once if another
 * process holds the lock.
 */
export async function withStartupLock<T>(dataSource: DataSource, work: () => Promise<T>, onWait: () => void = () => {}): Promise<T> {
  const release =
    dataSource.options.type === 'postgres'
      ? await lockPostgres(dataSource, onWait)
      : dataSource.options.type === 'better-sqlite3' && dataSource.options.database !== ':memory:'
        ? await lockSqlite(`${dataSource.options.database}.startup-lock`, onWait)
        : async () => {};
  try {
    return await work();
  } finally {
    await release();
  }
}

async function lockPostgres(dataSource: DataSource, onWait: () => void): Promise<() => Promise<void>> {
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [POSTGRES_LOCK_KEY])) as { locked: boolean }[];
    if (!locked) {
      onWait();
      await runner.query('SELECT pg_advisory_lock($1)', [POSTGRES_LOCK_KEY]);
    }
  } catch (err) {
    await runner.release();
    throw err;
  }
  return async () => {
    try {
      await runner.query('SELECT pg_advisory_unlock($1)', [POSTGRES_LOCK_KEY]);
    } finally {
      await runner.release();
    }
  };
}

async function lockSqlite(file: string, onWait: () => void): Promise<() => Promise<void>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Sqlite = require('better-sqlite3') as SqliteOpen;
  // No busy timeout: better-sqlite3 would wait for it synchronously, stopping this process's event loop.
  const lock = new Sqlite(file, { timeout: 0 });
  for (let waited = false; ;) {
    try {
      lock.exec('BEGIN IMMEDIATE');
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') {
        lock.close();
        throw err;
      }
      if (!waited) onWait();
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, SQLITE_RETRY_MS));
    }
  }
  return async () => {
    lock.exec('ROLLBACK');
    lock.close();
  };
}
