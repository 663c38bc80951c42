import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { EntityManager, EntityMetadata, QueryFailedError } from 'typeorm';
import { BoundedMap } from '../cache/bounded-map';
import { connectionQueue } from './connection-queue';

// The part of better-sqlite3's connection used here (the package ships no types). Statements run
// in raw mode: each row an array of the selected columns, in order (no object with a property per
// column built in C++ only to be read once: about a third of a lookup's time under load).
interface Prepared {
  raw(on: boolean): Prepared;
  all(...values: unknown[]): unknown[][];
  get(...values: unknown[]): unknown[] | undefined;
}
interface Database {
  prepare(sql: string): Prepared;
}
const preparedStatements = new WeakMap<Database, BoundedMap<string, Prepared>>();

/** A selected row: an array in the order of the select list (SQLite), or an object by column name (PostgreSQL). */
export type Row = unknown[] | Record<string, unknown>;

interface PlanColumn {
  column: ColumnMetadata;
  property: string;
  name: string;
  /** Text the drivers used here read and write as it comes (strings, or null): no conversion to run. */
  asIs: boolean;
}
interface EntityPlan {
  columns: PlanColumn[];
  byProperty: Map<string, PlanColumn>;
}
const plans = new WeakMap<EntityMetadata, EntityPlan>();
const TEXT_TYPES = new Set<unknown>([String, 'varchar', 'character varying', 'text', 'uuid']);

/**
 * How to read and write one entity's columns, worked out once: which need the driver's conversion
 * (dates, booleans, JSON, transformers…) and which are text taken as is, and where each property's column is.
 */
function planOf(metadata: EntityMetadata): EntityPlan {
  let plan = plans.get(metadata);
  if (plan) return plan;
  const columns = metadata.columns.map((column) => ({
    column,
    property: column.propertyName,
    name: column.databaseName,
    asIs: TEXT_TYPES.has(column.type) && !column.transformer && !column.isArray,
  }));
  plans.set(metadata, (plan = { columns, byProperty: new Map(columns.map((c) => [c.property, c])) }));
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
    const column = planOf(this.metadata).byProperty.get(property)?.column;
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
    const asIs = typeof value === 'string' && planOf(this.metadata).byProperty.get(column.propertyName)?.asIs;
    const prepared: unknown = asIs ? value : this.m.connection.driver.preparePersistentValue(value, column);
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
   * Runs a SELECT of `selectList()` with the bound values (`single`: it has LIMIT 1). On SQLite it
   * goes straight to the connection's prepared statement, rows as arrays: TypeORM uses that same
   * single connection (inside a transaction too), and its query runner's per-call bookkeeping
   * (logging hooks, subscribers' events, two awaits) cost more than SQLite's own work for a lookup by
   * key. It still waits in the connection's queue while a transaction holds the connection. On
   * PostgreSQL rows are objects by column name. Errors come back as TypeORM's QueryFailedError
   * either way (thrown at once on SQLite when the answer is not a promise).
   */
  rows(sql: string, single = false): Row[] | Promise<Row[]> {
    if (this.postgres) return this.m.query(sql, this.values) as Promise<Row[]>;
    return connectionQueue(this.m.connection)!.statement(() => this.sqliteRows(sql, single));
  }

  private sqliteRows(sql: string, single: boolean): Row[] {
    const db = (this.m.connection.driver as unknown as { databaseConnection: Database }).databaseConnection;
    let cache = preparedStatements.get(db);
    if (!cache) preparedStatements.set(db, (cache = new BoundedMap(1000)));
    try {
      let prepared = cache.get(sql);
      if (!prepared) cache.set(sql, (prepared = db.prepare(sql).raw(true)));
      if (!single) return prepared.all(...this.values);
      const row = prepared.get(...this.values);
      return row ? [row] : [];
    } catch (err) {
      throw new QueryFailedError(sql, this.values, err as Error);
    }
  }

  /**
   * A row of `selectList()` (an array in its order, or an object by column name) as the entity
   * TypeORM would load: each column converted by the driver, as TypeORM does.
   */
  hydrate<T>(row: Row): T {
    const plan = planOf(this.metadata);
    // As TypeORM loads: without running the constructor (entitySkipConstructor in the data source options).
    const entity = this.metadata.create(this.m.queryRunner, { fromDeserializer: true }) as Record<string, unknown>;
    const driver = this.m.connection.driver;
    const byPosition = Array.isArray(row);
    const columns = plan.columns;
    for (let i = 0; i < columns.length; i++) {
      const { column, property, name, asIs } = columns[i];
      const value = byPosition ? row[i] : row[name];
      entity[property] = asIs ? value : driver.prepareHydratedValue(value, column);
    }
    return entity as T;
  }

  selectList(): string {
    return this.metadata.columns.map((c) => this.name(c)).join(', ');
  }
}
