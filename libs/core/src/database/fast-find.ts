import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

const sqlCache = new WeakMap<object, Map<string, string>>();

/**
 * One row by equality on a few columns, for hot read paths. TypeORM's find builds and rewrites
 * its SQL on every call (about 60 µs against 10 µs for the query itself on SQLite); this builds
 * the statement once per entity and set of columns, and hydrates through the entity metadata, so
 * types come back exactly as find would return them. `null` in `where` means IS NULL.
 */
export async function findOneFast<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  where: Partial<Record<keyof T & string, unknown>>,
): Promise<T | null> {
  const metadata = m.connection.getMetadata(target);
  const driver = m.connection.driver;
  const keys = Object.keys(where).filter((k) => where[k as keyof T & string] !== undefined);
  let perEntity = sqlCache.get(metadata);
  if (!perEntity) sqlCache.set(metadata, (perEntity = new Map()));
  const cacheKey = keys.map((k) => `${k}${where[k as keyof T & string] === null ? ':null' : ''}`).join(',');
  let sql = perEntity.get(cacheKey);
  const values = keys.filter((k) => where[k as keyof T & string] !== null).map((k) => where[k as keyof T & string]);
  if (!sql) {
    let n = 0;
    const conditions = keys.map((k) => {
      const column = metadata.findColumnWithPropertyName(k);
      if (!column) throw new Error(`${metadata.name} has no column ${k}`);
      const name = driver.escape(column.databaseName);
      return where[k as keyof T & string] === null
        ? `${name} IS NULL`
        : `${name} = ${driver.options.type === 'postgres' ? `$${++n}` : '?'}`;
    });
    const select = metadata.columns.map((c) => driver.escape(c.databaseName)).join(', ');
    sql = `SELECT ${select} FROM ${driver.escape(metadata.tableName)} WHERE ${conditions.join(' AND ')} LIMIT 1`;
    perEntity.set(cacheKey, sql);
  }
  const rows = (await m.query(sql, values)) as Record<string, unknown>[];
  if (!rows.length) return null;
  const entity = metadata.create(m.queryRunner, { fromDeserializer: true }) as T;
  for (const column of metadata.columns) {
    (entity as Record<string, unknown>)[column.propertyName] = driver.prepareHydratedValue(rows[0][column.databaseName], column);
  }
  return entity;
}
