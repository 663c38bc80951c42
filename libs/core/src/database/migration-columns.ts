import { QueryRunner, TableColumnOptions, TableForeignKeyOptions } from 'typeorm';

/**
 * Column builders for migrations, so one migration folder serves SQLite and PostgreSQL: every
 * type is normalised by the running driver exactly as it normalises the entities' types.
 */
export class MigrationColumns {
  constructor(private readonly qr: QueryRunner) {}

  private type(type: unknown): string {
    return this.qr.connection.driver.normalizeType({ type } as never);
  }

  id(): TableColumnOptions {
    return { name: 'id', type: this.type('uuid'), isPrimary: true, isNullable: false };
  }

  uuid(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.type('uuid'), isNullable: false, ...opts };
  }

  varchar(name: string, length: number, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.type('varchar'), length: String(length), isNullable: false, ...opts };
  }

  text(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.type('text'), isNullable: false, ...opts };
  }

  integer(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.type('integer'), isNullable: false, ...opts };
  }

  boolean(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.type(Boolean), isNullable: false, ...opts };
  }

  timestamp(name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions {
    return { name, type: this.type(Date), isNullable: false, ...opts };
  }

  /** created_at and updated_at, filled by the database. */
  timestamps(): TableColumnOptions[] {
    const d = this.qr.connection.driver.mappedDataTypes;
    return ['created_at', 'updated_at'].map((name) => ({
      name,
      type: this.type(d.createDate),
      isNullable: false,
      default: d.createDateDefault as string,
    }));
  }

  foreignKey(column: string, table: string, onDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT'): TableForeignKeyOptions {
    return { columnNames: [column], referencedTableName: table, referencedColumnNames: ['id'], onDelete };
  }
}
