import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { AppConfig, ConfigError, withStartupLock } from '@portico/core';
import { DataSource } from 'typeorm';

/** A wrong command line: the message, then the usage, exit 2. */
export class UsageError extends Error {}

/** Runs a command's main and exits with its code; a failure is one line on stderr (usage errors add the usage). */
export function runCli(main: () => Promise<number>, usage: string, failed: string): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${err.message}\n\n${usage}`);
        process.exit(2);
      }
      process.stderr.write(
        err instanceof ConfigError ? `${err.message}\n` : `${failed}: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exit(err instanceof ConfigError ? 78 : 1);
    },
  );
}

/** Applies pending migrations when MIGRATE_ON_START says so; otherwise refuses a database that has some. */
export async function ensureSchema(app: INestApplicationContext, config: AppConfig): Promise<void> {
  const dataSource = app.get(DataSource);
  if (config.migrateOnStart) await withStartupLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
  else if (await dataSource.showMigrations()) throw new Error('The database has migrations to apply: run `npm run migrate` first');
}

/** Warnings and errors only, on stderr: stdout carries what the command prints. */
export class StderrLogger implements LoggerService {
  log(): void {}
  warn(message: unknown): void {
    process.stderr.write(`warning: ${String(message)}\n`);
  }
  error(message: unknown): void {
    process.stderr.write(`error: ${String(message)}\n`);
  }
}
