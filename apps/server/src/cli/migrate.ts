import 'reflect-metadata';
import { AppConfig, ConfigError } from '@portico/core';
import { createDataSource } from '../data-source';

/** `npm run migrate`: applies pending migrations and says which. */
async function main(): Promise<void> {
  const config = new AppConfig();
  const dataSource = await createDataSource(config).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
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
