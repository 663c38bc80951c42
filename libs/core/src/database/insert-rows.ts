import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { bulkInsert } from './bulk-insert';

/**
 * INSERT of a few entities (made with `m.create`) in one plain statement: every property that has a
 * value, created_at and updated_at from the database. Unlike `manager.insert` it neither reads the
 * rows back (SQLite has no RETURNING in TypeORM) nor rebuilds its SQL through the query builder on
 * every call: it is for hot paths (audit, throttle, outbox, sessions). `orIgnore` keeps an existing
 * row with the same unique key (ON CONFLICT DO NOTHING); `upsert` overwrites the given properties
 * of the row with the same `target` key instead.
 */
export async function insertRows<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  rows: T | T[],
  opts: { orIgnore?: boolean; upsert?: { target: (keyof T & string)[]; set: (keyof T & string)[] } } = {},
): Promise<void> {
  const list = Array.isArray(rows) ? rows : [rows];
  if (!list.length) return;
  const metadata = m.connection.getMetadata(target);
  const properties = metadata.columns
    .filter((c) => !c.isCreateDate && !c.isUpdateDate && !c.isVirtual && list.some((row) => c.getEntityValue(row) !== undefined))
    .map((c) => c.propertyName as keyof T & string);
  await bulkInsert(m, target, list, properties, { ignoreConflicts: opts.orIgnore, updateOnConflict: opts.upsert });
}
