import type { DataSource } from 'typeorm';

/** Whether the database answers a trivial statement (readiness). On SQLite it waits in the connection's queue like any statement. */
export async function databaseAnswers(dataSource: DataSource): Promise<boolean> {
  await dataSource.query('SELECT 1');
  return true;
}
