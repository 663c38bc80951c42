import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { EntityManager, EntityMetadata, QueryFailedError } from 'typeorm';

// The part of better-sqlite3's connection used here (the package ships no types).
interface Prepared {
  all(...values: unknown[]): unknown[];
}
interface Database {
  prepare(sql: string): Prepared;
}
const preparedStatements = new WeakMap<Database, Map<string, Prepared>>();

interface HydrationPlan {
  /** Set when loading may skip the constructor: it assigns nothing but columns (initialisers such as `id = randomUUID()`). */
  prototype: object | null;
  columns: { column: ColumnMetadata; property: string; name: string; asIs: boolean }[];
}
const hydrationPlans = new WeakMap<EntityMetadata, HydrationPlan>();
// Column types every driver used here hands back as they come (strings, or null), unless transformed.
const TEXT_TYPES = new Set<unknown>([String, 'varchar', 'character varying', 'text', 'uuid']);

/**
 * How to load one entity's rows, worked out once: which columns need the driver's conversion
 * (dates, booleans, JSON, transformers…) and which are text taken as is, and whether the entity's
 * constructor can be skipped. It can when constructing one sets only column properties: every one
 * of them is overwritten from the row anyway (TypeORM runs the constructor, so `id = randomUUID()`
 * made a uuid per loaded row only to throw it away).
 */
function hydrationPlan(m: EntityManager, metadata: EntityMetadata): HydrationPlan {
  let plan = hydrationPlans.get(metadata);
  if (plan) return plan;
  const columns = metadata.columns.map((column) => ({
    column,
    property: column.propertyName,
    name: column.databaseName,
    asIs: TEXT_TYPES.has(column.type) && !column.transformer && !column.isArray,
  }));
  let prototype: object | null = null;
  const target = metadata.target;
  if (typeof target === 'function' && !metadata.lazyRelations.length && !m.connection.options.typename) {
    const properties = new Set(columns.map((c) => c.property));
    const sample = new (target as new () => object)();
    if (Object.keys(sample).every((key) => properties.has(key))) prototype = target.prototype as object;
  }
  hydrationPlans.set(metadata, (plan = { prototype, columns }));
  return plan;
}

/**
 * One plain SQL statement on one entity's table, as plain-sql.ts and bulkInsert write them: names
 * escaped by the driver, every value bound (`?` on SQLite, `$n` on PostgreSQL) after the driver's
 * own conversion, rows hydrated as TypeORM returns them. Internal to the database folder.
 */
export class Statement {
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

  /**
   * Runs a SELECT with the bound values. On SQLite it goes straight to the connection's prepared
   * statement: TypeORM uses that same single connection (inside a transaction too), and its query
   * runner's per-call bookkeeping (logging hooks, subscribers' events, two awaits) cost more than
   * SQLite's own work for a lookup by key. Errors come back as TypeORM's QueryFailedError either way
   * (thrown at once on SQLite, whose answer is not a promise).
   */
  rows(sql: string): Record<string, unknown>[] | Promise<Record<string, unknown>[]> {
    if (this.postgres) return this.m.query(sql, this.values) as Promise<Record<string, unknown>[]>;
    const db = (this.m.connection.driver as unknown as { databaseConnection: Database }).databaseConnection;
    let cache = preparedStatements.get(db);
    if (!cache) preparedStatements.set(db, (cache = new Map()));
    try {
      let prepared = cache.get(sql);
      if (!prepared) cache.set(sql, (prepared = db.prepare(sql)));
      return prepared.all(...this.values) as Record<string, unknown>[];
    } catch (err) {
      throw new QueryFailedError(sql, this.values, err as Error);
    }
  }

  /** A row as the entity TypeORM would load: each column converted by the driver, as TypeORM does. */
  hydrate<T>(row: Record<string, unknown>): T {
    const plan = hydrationPlan(this.m, this.metadata);
    const entity = (
      plan.prototype ? Object.create(plan.prototype) : this.metadata.create(this.m.queryRunner, { fromDeserializer: true })
    ) as Record<string, unknown>;
    const driver = this.m.connection.driver;
    for (const { column, property, name, asIs } of plan.columns) {
      entity[property] = asIs ? row[name] : driver.prepareHydratedValue(row[name], column);
    }
    return entity as T;
  }

  selectList(): string {
    return this.metadata.columns.map((c) => this.name(c)).join(', ');
  }
}
