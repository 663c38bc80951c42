import { DataSource } from 'typeorm';
import { databaseKinds, freshDatabase, type TestDatabase } from '../../../../test/support/databases';
import { withStartupLock } from './startup-lock';

function open(db: TestDatabase): Promise<DataSource> {
  return new DataSource(
    db.kind === 'postgres' ? { type: 'postgres', url: db.url } : { type: 'better-sqlite3', database: db.url.slice('sqlite:'.length) },
  ).initialize();
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('never happened');
}

// Two data sources on one database stand for two processes: on SQLite two connections to one
// file lock each other as two processes would.
describe.each(databaseKinds())('the startup lock on %s', (kind) => {
  let db: TestDatabase;
  let one: DataSource;
  let two: DataSource;
  beforeAll(async () => {
    db = await freshDatabase(kind);
    one = await open(db);
    two = await open(db);
  });
  afterAll(async () => {
    await one?.destroy();
    await two?.destroy();
    await db?.drop();
  });

  it('lets one process at a time do its work: the other is told it waits, then goes once the first is done', async () => {
    const steps: string[] = [];
    let finish!: () => void;
    const first = withStartupLock(one, async () => {
      steps.push('first starts');
      await new Promise<void>((resolve) => (finish = resolve));
      steps.push('first ends');
    });
    await until(() => steps.length === 1);
    let told = false;
    const second = withStartupLock(
      two,
      async () => void steps.push('second starts'),
      () => (told = true),
    );
    await until(() => told);
    expect(steps).toEqual(['first starts']);
    finish();
    await Promise.all([first, second]);
    expect(steps).toEqual(['first starts', 'first ends', 'second starts']);
  });

  it('lets go when the work fails', async () => {
    await expect(withStartupLock(one, () => Promise.reject(new Error('migration failed')))).rejects.toThrow('migration failed');
    let told = false;
    await expect(
      withStartupLock(
        two,
        async () => 'done',
        () => (told = true),
      ),
    ).resolves.toBe('done');
    expect(told).toBe(false);
  });
});
