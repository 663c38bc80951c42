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
 * database defaults. `ignoreConflicts` skips rows a unique constraint refuses; `updateOnConflict`
 * turns the insert into an upsert on the `target` properties' unique key, overwriting `set` (and
 * updated_at) of the row already there.
 */
export async function bulkInsert<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  rows: T[],
  properties: (keyof T & string)[],
  opts: { ignoreConflicts?: boolean; updateOnConflict?: { target: (keyof T & string)[]; set: (keyof T & string)[] } } = {},
): Promise<void> {
  if (!rows.length) return;
  const metadata = m.connection.getMetadata(target);
  const driver = m.connection.driver;
  const columnOf = (p: string) => {
    const column = metadata.findColumnWithPropertyName(p);
    if (!column) throw new Error(`${metadata.name} has no column ${p}`);
    return column;
  };
  const columns = properties.map(columnOf);
  const postgres = driver.options.type === 'postgres';
  const head = `INSERT INTO ${driver.escape(metadata.tableName)} (${columns.map((c) => driver.escape(c.databaseName)).join(', ')}) VALUES `;
  let tail = opts.ignoreConflicts ? ' ON CONFLICT DO NOTHING' : '';
  if (opts.updateOnConflict) {
    const name = (p: string) => driver.escape(columnOf(p).databaseName);
    const sets = opts.updateOnConflict.set.map((p) => `${name(p)} = EXCLUDED.${name(p)}`);
    if (metadata.updateDateColumn) sets.push(`${driver.escape(metadata.updateDateColumn.databaseName)} = CURRENT_TIMESTAMP`);
    tail = ` ON CONFLICT (${opts.updateOnConflict.target.map(name).join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
  }
  const perStatement = 2 ** Math.floor(Math.log2(MAX_PARAMETERS / columns.length));
  for (const chunk of powerOfTwoChunks(rows, Math.min(256, perStatement))) {
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((column) => {
        const value: unknown = driver.preparePersistentValue(column.getEntityValue(row), column);
        params.push(value === undefined ? null : value);
        return postgres ? `$${params.length}` : '?';
      });
      return `(${marks.join(', ')})`;
    });
    await m.query(head + tuples.join(', ') + tail, params);
  }
}
