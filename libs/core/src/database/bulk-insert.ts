import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { powerOfTwoChunks } from './batches';
import { Statement } from './statement';

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
  const shape = new Statement(m, metadata);
  const columns = properties.map((p) => shape.column(p));
  const head = `INSERT INTO ${shape.table} (${columns.map((c) => shape.name(c)).join(', ')}) VALUES `;
  let tail = opts.ignoreConflicts ? ' ON CONFLICT DO NOTHING' : '';
  if (opts.updateOnConflict) {
    const name = (p: string) => shape.name(shape.column(p));
    const sets = opts.updateOnConflict.set.map((p) => `${name(p)} = EXCLUDED.${name(p)}`);
    if (metadata.updateDateColumn) sets.push(`${shape.name(metadata.updateDateColumn)} = CURRENT_TIMESTAMP`);
    tail = ` ON CONFLICT (${opts.updateOnConflict.target.map(name).join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
  }
  const perStatement = 2 ** Math.floor(Math.log2(MAX_PARAMETERS / columns.length));
  for (const chunk of powerOfTwoChunks(rows, Math.min(256, perStatement))) {
    const st = new Statement(m, metadata);
    const tuples = chunk.map((row) => `(${columns.map((column) => st.bind(column, column.getEntityValue(row))).join(', ')})`);
    await m.query(head + tuples.join(', ') + tail, st.values);
  }
}
