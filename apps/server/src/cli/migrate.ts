import 'reflect-metadata';
import { AppConfig, ConfigError, withStartupLock } from '@portico/core';
import { createDataSource } from '../data-source';

/** `npm run migrate`: applies pending migrations and says which. */
async function main(): Promise<void> {
  const config = new AppConfig();
  const dataSource = await createDataSource(config).initialize();
  try {
    // Under the startup lock: a server starting with MIGRATE_ON_START at the same moment waits for us, or we for it.
    const applied = await withStartupLock(
      dataSource,
      () => dataSource.runMigrations({ transaction: 'each' }),
      () => process.stdout.write('Waiting for another Portico process to finish migrating…\n'),
    );
    process.stdout.write(
      applied.length
        ? `Applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m.name}`).join('\n')}\n`
        : 'The database is up to date.\n',
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    err instanceof ConfigError ? `${err.message}\n` : `Migration failed: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
