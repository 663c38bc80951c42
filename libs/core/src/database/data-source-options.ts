import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config';
import { PorticoNamingStrategy } from './naming.strategy';

type Constructor = new (...args: never[]) => unknown;

export interface DataSourceParts {
  entities: MixedList<Constructor | string | EntitySchema>;
  migrations: MixedList<Constructor | string>;
}

/** The one data source definition: the server, the worker, the CLI and the tests all call this. */
export function buildDataSourceOptions(db: DatabaseConfig, parts: DataSourceParts): DataSourceOptions {
  const common = {
    entities: parts.entities,
    migrations: parts.migrations,
    namingStrategy: new PorticoNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'schema_migrations',
    logging: false,
    // Loaded rows are not constructed: a constructor only sets defaults for new rows (`id = randomUUID()`),
    // which every loaded column overwrites. `create()` and `new` still run it.
    entitySkipConstructor: true,
  } as const;
  if (db.kind === 'postgres') {
    return { ...common, type: 'postgres', url: db.location, extra: { max: 20 } };
  }
  if (db.location !== ':memory:') mkdirSync(dirname(db.location), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: db.location,
    enableWAL: db.location !== ':memory:',
    // Writers wait for each other instead of failing with SQLITE_BUSY.
    timeout: 10_000,
    prepareDatabase: (raw: { pragma(source: string): unknown }) => {
      raw.pragma('foreign_keys = ON');
      raw.pragma('synchronous = NORMAL');
    },
  };
}
