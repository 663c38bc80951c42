import { AppConfig } from '@portico/core';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../apps/server/src/data-source';
import { databaseKinds, freshDatabase, TestDatabase } from '../support/databases';

describe.each(databaseKinds())('migrations (%s)', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await freshDatabase(kind);
    ds = await createDataSource(new AppConfig({ NODE_ENV: 'test', DATABASE_URL: db.url })).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('brings an empty database to the latest schema', async () => {
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied.length).toBeGreaterThan(0);
    expect(await ds.showMigrations()).toBe(false);
  });

  it('leaves no schema change pending against the entities', async () => {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('can be rolled back to empty and applied again', async () => {
    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(
      await ds.query(
        kind === 'sqlite'
          ? "SELECT name FROM sqlite_master WHERE type='table' AND name='users'"
          : "SELECT tablename FROM pg_tables WHERE tablename='users'",
      ),
    ).toEqual([]);
    await ds.runMigrations({ transaction: 'each' });
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
