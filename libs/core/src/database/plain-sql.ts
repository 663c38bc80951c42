import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { BoundedMap } from '../cache/bounded-map';
import { Row, Statement } from './statement';

/**
 * Plain statements for hot paths (sign-in, sessions, the throttle, API keys). TypeORM's find,
 * update and delete build and rewrite their SQL on every call, which on SQLite costs several times
 * the statement itself (`npm run bench` measures the paths); these build each statement once per entity and shape from the
 * entity metadata and bind every value, converted by the driver exactly as TypeORM would. Rows
 * come back hydrated as TypeORM returns them.
 *
 * `where`: equality on each given property; `null` means IS NULL, an array means IN (…) (an empty
 * array matches nothing). Property names only, never SQL: values are always bound.
 */
export type Where<T> = Partial<Record<keyof T & string, unknown>>;

/** SQL for UPDATE … SET: a value, or a function returning an SQL expression over the row's columns (code, never input). */
export type SetValues<T> = Partial<Record<keyof T & string, unknown>>;

// Per entity, one statement per shape; shapes with IN lists vary with the list's length, hence the bound.
const sqlCache = new WeakMap<EntityMetadata, BoundedMap<string, string>>();

function cached(metadata: EntityMetadata, key: string, build: () => string): string {
  let perEntity = sqlCache.get(metadata);
  if (!perEntity) sqlCache.set(metadata, (perEntity = new BoundedMap(200)));
  let sql = perEntity.get(key);
  if (!sql) perEntity.set(key, (sql = build()));
  return sql;
}

/**
 * Rows matching `where`. `orderBy` sorts by properties; `limit` caps the count; `forUpdate` locks
 * the rows on PostgreSQL until the transaction ends (SQLite has one writer at a time anyway).
 */
export async function findRows<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  where: Where<T>,
  opts: SelectOptions<T> = {},
): Promise<T[]> {
  return select(m, target, where, opts);
}

/** One row matching `where`, or null. */
export async function findOneFast<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, where: Where<T>): Promise<T | null> {
  return (await select(m, target, where, { limit: 1 }))[0] ?? null;
}

type SelectOptions<T> = { orderBy?: Partial<Record<keyof T & string, 'ASC' | 'DESC'>>; limit?: number; forUpdate?: boolean };

/** The SELECT behind findRows and findOneFast; on SQLite the rows come back at once, not as a promise. */
function select<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  where: Where<T>,
  opts: SelectOptions<T>,
): T[] | Promise<T[]> {
  const st = new Statement(m, m.connection.getMetadata(target));
  const w = st.where(where);
  const order = Object.entries(opts.orderBy ?? {}) as [string, 'ASC' | 'DESC'][];
  const lock = opts.forUpdate && st.postgres;
  const key = `select|${w.key}|${order.map(([p, d]) => `${p} ${d}`).join(',')}|${opts.limit ?? ''}|${lock ? 'lock' : ''}`;
  const sql = cached(st.metadata, key, () => {
    const orderSql = order.length
      ? ` ORDER BY ${order.map(([p, d]) => `${st.name(st.column(p))} ${d === 'DESC' ? 'DESC' : 'ASC'}`).join(', ')}`
      : '';
    const limit = opts.limit !== undefined ? ` LIMIT ${Math.floor(opts.limit)}` : '';
    return `SELECT ${st.selectList()} FROM ${st.table}${w.sql()}${orderSql}${limit}${lock ? ' FOR UPDATE' : ''}`;
  });
  const rows = st.rows(sql, opts.limit === 1);
  const hydrate = (found: Row[]) => found.map((row) => st.hydrate<T>(row));
  return Array.isArray(rows) ? hydrate(rows) : rows.then(hydrate);
}

/** UPDATE … SET `set` (updated_at too) WHERE `where`. */
export async function updateRows<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  where: Where<T>,
  set: SetValues<T>,
): Promise<void> {
  const st = new Statement(m, m.connection.getMetadata(target));
  const assignments: { property: string; mark?: string; expression?: string }[] = [];
  for (const [property, value] of Object.entries(set)) {
    if (value === undefined) continue;
    if (typeof value === 'function') assignments.push({ property, expression: (value as () => string)() });
    else assignments.push({ property, mark: st.bind(st.column(property), value) });
  }
  const w = st.where(where);
  const key = `update|${assignments.map((a) => (a.expression ? `${a.property}=(${a.expression})` : a.property)).join(',')}|${w.key}`;
  const sql = cached(st.metadata, key, () => {
    const sets = assignments.map((a) => `${st.name(st.column(a.property))} = ${a.expression ?? a.mark}`);
    const updated = st.metadata.updateDateColumn;
    if (updated && !(updated.propertyName in set)) sets.push(`${st.name(updated)} = CURRENT_TIMESTAMP`);
    return `UPDATE ${st.table} SET ${sets.join(', ')}${w.sql()}`;
  });
  await m.query(sql, st.values);
}

/** DELETE … WHERE `where` (at least one condition: deleting a whole table is not a hot path). */
export async function deleteRows<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, where: Where<T>): Promise<void> {
  const st = new Statement(m, m.connection.getMetadata(target));
  const w = st.where(where);
  if (!w.key) throw new Error(`deleteRows on ${st.metadata.name} needs a condition`);
  const sql = cached(st.metadata, `delete|${w.key}`, () => `DELETE FROM ${st.table}${w.sql()}`);
  await m.query(sql, st.values);
}
