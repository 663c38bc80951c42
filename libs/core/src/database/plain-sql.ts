import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Plain statements for hot paths (sign-in, sessions, the throttle, API keys). TypeORM's find,
 * update and delete build and rewrite their SQL on every call (about 60–100 µs against 10 µs for
 * the statement itself on SQLite); these build each statement once per entity and shape from the
 * entity metadata and bind every value, converted by the driver exactly as TypeORM would. Rows
 * come back hydrated as TypeORM returns them.
 *
 * `where`: equality on each given property; `null` means IS NULL, an array means IN (…) (an empty
 * array matches nothing). Property names only, never SQL: values are always bound.
 */
export type Where<T> = Partial<Record<keyof T & string, unknown>>;

/** SQL for UPDATE … SET: a value, or a function returning an SQL expression over the row's columns (code, never input). */
export type SetValues<T> = Partial<Record<keyof T & string, unknown>>;

const sqlCache = new WeakMap<EntityMetadata, Map<string, string>>();

function cached(metadata: EntityMetadata, key: string, build: () => string): string {
  let perEntity = sqlCache.get(metadata);
  if (!perEntity) sqlCache.set(metadata, (perEntity = new Map()));
  let sql = perEntity.get(key);
  if (!sql) perEntity.set(key, (sql = build()));
  return sql;
}

class Statement {
  readonly values: unknown[] = [];
  readonly postgres: boolean;

  constructor(
    readonly m: EntityManager,
    readonly metadata: EntityMetadata,
  ) {
    this.postgres = m.connection.driver.options.type === 'postgres';
  }

  column(property: string): ColumnMetadata {
    const column = this.metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${this.metadata.name} has no column ${property}`);
    return column;
  }

  name(column: ColumnMetadata): string {
    return this.m.connection.driver.escape(column.databaseName);
  }

  get table(): string {
    return this.m.connection.driver.escape(this.metadata.tableName);
  }

  /** Binds a value for `column` and returns its placeholder. */
  bind(column: ColumnMetadata, value: unknown): string {
    const prepared: unknown = this.m.connection.driver.preparePersistentValue(value, column);
    this.values.push(prepared === undefined ? null : prepared);
    return this.postgres ? `$${this.values.length}` : '?';
  }

  /** Binds the values of `where` (in key order) and returns its cache key and a builder for its SQL. */
  where(where: Record<string, unknown>): { key: string; sql: () => string } {
    const parts: { property: string; kind: 'null' | 'eq' | 'in'; marks: string[] }[] = [];
    for (const [property, value] of Object.entries(where)) {
      if (value === undefined) continue;
      const column = this.column(property);
      if (value === null) parts.push({ property, kind: 'null', marks: [] });
      else if (Array.isArray(value)) parts.push({ property, kind: 'in', marks: value.map((v: unknown) => this.bind(column, v)) });
      else parts.push({ property, kind: 'eq', marks: [this.bind(column, value)] });
    }
    const key = parts.map((p) => `${p.property}:${p.kind}${p.kind === 'in' ? p.marks.length : ''}`).join(',');
    const sql = () => {
      if (!parts.length) return '';
      const conditions = parts.map((p) => {
        const name = this.name(this.column(p.property));
        if (p.kind === 'null') return `${name} IS NULL`;
        if (p.kind === 'eq') return `${name} = ${p.marks[0]}`;
        return p.marks.length ? `${name} IN (${p.marks.join(', ')})` : '1 = 0';
      });
      return ` WHERE ${conditions.join(' AND ')}`;
    };
    return { key, sql };
  }

  hydrate<T>(row: Record<string, unknown>): T {
    const entity = this.metadata.create(this.m.queryRunner, { fromDeserializer: true }) as Record<string, unknown>;
    for (const column of this.metadata.columns) {
      entity[column.propertyName] = this.m.connection.driver.prepareHydratedValue(row[column.databaseName], column);
    }
    return entity as T;
  }

  selectList(): string {
    return this.metadata.columns.map((c) => this.name(c)).join(', ');
  }
}

/**
 * Rows matching `where`. `orderBy` sorts by properties; `limit` caps the count; `forUpdate` locks
 * the rows on PostgreSQL until the transaction ends (SQLite has one writer at a time anyway).
 */
export async function findRows<T extends ObjectLiteral>(
  m: EntityManager,
  target: EntityTarget<T>,
  where: Where<T>,
  opts: { orderBy?: Partial<Record<keyof T & string, 'ASC' | 'DESC'>>; limit?: number; forUpdate?: boolean } = {},
): Promise<T[]> {
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
  const rows = (await m.query(sql, st.values)) as Record<string, unknown>[];
  return rows.map((row) => st.hydrate<T>(row));
}

/** One row matching `where`, or null. */
export async function findOneFast<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, where: Where<T>): Promise<T | null> {
  return (await findRows(m, target, where, { limit: 1 }))[0] ?? null;
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
