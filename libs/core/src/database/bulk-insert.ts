import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { powerOfTwoChunks } from './batches';

// SQLite binds at most 32,766 parameters per statement; PostgreSQL 65,535.
const MAX_PARAMETERS = 30_000;

/**
 * Thousands of rows in a few multi-row INSERTs (insertRows is for the odd row), every value a
 * bound parameter (TypeORM's builder writes some NULLs into the SQL text, so its statements differ
 * from one batch to the next), in
 * power-of-two batches: the statements repeat and SQLite prepares each shape once. Values are
 * converted by the driver exactly as TypeORM stores them; created_at and updated_at take their
 * database defaults. `ignoreConflicts` skips rows a unique constraint refuses.
 */
export async function bulkInsert<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
  properties: (keyof T & string)[],
  opts: { ignoreConflicts?: boolean } = {},
): Promise<void> {
  if (!rows.length) return;
  const metadata = m.connection.getMetadata(target);
  const driver = m.connection.driver;
  const columns = properties.map((p) => {
    const column = metadata.findColumnWithPropertyName(p);
    if (!column) throw new Error(`${metadata.name} has no column ${p}`);
    return column;
  });
  const postgres = driver.options.type === 'postgres';
  const head = `INSERT INTO ${driver.escape(metadata.tableName)} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
  const tail = opts.ignoreConflicts ? ' ON CONFLICT DO NOTHING' : '';
  const perStatement = 2 ** Math.floor(Math.log2(MAX_PARAMETERS / columns.length));
  for (const chunk of powerOfTwoChunks(rows, Math.min(256, perStatement))) {
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((column) => {
        params.push(driver.preparePersistentValue(row[column.propertyName], column));
        return postgres ? `$${params.length}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    await m.query(head + tuples.join(', ') + tail, params);
  }
}
