import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

/**
 * INSERT without TypeORM's read-back. `manager.insert` re-SELECTs every row it wrote to learn the
 * database's created_at/updated_at (SQLite has no RETURNING in TypeORM): one extra query per row
 * on hot paths (audit, throttle, sessions) that never look at those columns. `orIgnore` keeps an
 * existing row with the same unique key (ON CONFLICT DO NOTHING).
 */
export async function insertRows<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  rows: T | T[],
  opts: { orIgnore?: boolean } = {},
): Promise<void> {
  const qb = m
    .createQueryBuilder()
    .insert()
    .into(target)
    .values(rows as QueryDeepPartialEntity<T> | QueryDeepPartialEntity<T>[])
    .updateEntity(false);
  if (opts.orIgnore) qb.orIgnore();
  await qb.execute();
}
