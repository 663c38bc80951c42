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
   * SQLite's own work for a lookup by key. Errors come back as TypeORM's QueryFailedError either way.
   */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    if (this.postgres) return (await this.m.query(sql, this.values)) as Record<string, unknown>[];
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
