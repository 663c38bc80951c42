import { setTimeout as sleep } from 'node:timers/promises';
import { Column, DataSource, Entity } from 'typeorm';
import { databaseKinds, entityDataSource, freshDatabase, type TestDatabase } from '../../../../test/support/databases';
import { BaseEntity } from './base.entity';
import { insertRows } from './insert-rows';
import { findRows, updateRows } from './plain-sql';
import { TransactionService } from './transaction.service';

@Entity('notes')
class Note extends BaseEntity {
  @Column({ type: 'varchar', length: 50 }) text: string = '';
}

describe.each(databaseKinds())('TransactionService on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  let tx: TransactionService;
  beforeAll(async () => {
    db = await freshDatabase(kind);
    ds = await entityDataSource(db, [Note]);
    tx = new TransactionService(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(() => ds.manager.clear(Note));

  it('a run inside a run joins it: both commit or both roll back', async () => {
    await expect(
      tx.run(async (outer) => {
        await outer.save(outer.create(Note, { text: 'outer' }));
        await tx.run(async (inner) => {
          expect(inner).toBe(outer);
          expect(tx.manager).toBe(outer);
          await inner.save(inner.create(Note, { text: 'inner' }));
        });
        throw new Error('undo both');
      }),
    ).rejects.toThrow('undo both');
    expect(await ds.manager.count(Note)).toBe(0);
  });

  it('overlapping transactions each keep their own manager until their own end', async () => {
    const managers: unknown[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = tx.run(async (m) => {
      managers.push(m);
      await m.save(m.create(Note, { text: 'first' }));
      await firstMayEnd;
      expect(tx.manager).toBe(m);
    });
    const second = tx.run(async (m) => {
      managers.push(m);
      releaseFirst();
      await first.catch(() => undefined).then(() => sleep(5));
      // On PostgreSQL the first has committed while this one still runs; on SQLite they are queued.
      expect(tx.manager).toBe(m);
      await tx.manager.save(m.create(Note, { text: 'second' }));
    });
    // SQLite queues transactions: the second starts only after the first, so release it up front.
    if (kind === 'sqlite') releaseFirst();
    await Promise.all([first, second]);
    expect(managers[0]).not.toBe(managers[1]);
    expect((await ds.manager.find(Note)).map((n) => n.text).sort()).toEqual(['first', 'second']);
  });

  it('once a transaction is done, work it left running no longer sees its manager', async () => {
    // The work left running reads the manager once the transaction has ended (a fixed sleep lost
    // that race on a busy PostgreSQL, whose COMMIT could take longer).
    let ended!: () => void;
    const afterEnd = new Promise<void>((resolve) => (ended = resolve));
    let later: Promise<unknown> | undefined;
    await tx.run(async (m) => {
      await m.save(m.create(Note, { text: 'done' }));
      later = afterEnd.then(() => tx.manager);
    });
    ended();
    // Identity, not toBe: on a mismatch Jest's printer reads every getter of a DataSource, and its
    // mongoManager getter throws on any other database.
    expect((await later) === ds.manager).toBe(true);
    expect(tx.manager === ds.manager).toBe(true);
  });

  /** A transaction that holds until `end()`, then rolls back (a request answered 409, say). */
  async function openThenRollBack(): Promise<{ end(): Promise<void> }> {
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    let release!: () => void;
    const mayEnd = new Promise<void>((resolve) => (release = resolve));
    const failing = tx.run(async (m) => {
      await m.save(m.create(Note, { text: 'undone' }));
      opened();
      await mayEnd;
      throw new Error('conflict');
    });
    await isOpen;
    return {
      end: async () => {
        release();
        await expect(failing).rejects.toThrow('conflict');
      },
    };
  }

  it('writes made outside a transaction survive its rollback', async () => {
    await ds.manager.save(ds.manager.create(Note, { text: 'touched' }));
    const open = await openThenRollBack();
    const writes = Promise.all([
      insertRows(ds.manager, Note, ds.manager.create(Note, { text: 'session' })),
      ds.manager.save(ds.manager.create(Note, { text: 'saved' })),
      updateRows(ds.manager, Note, { text: 'touched' }, { text: 'updated' }),
    ]);
    await open.end();
    await writes;
    expect((await ds.manager.find(Note)).map((n) => n.text).sort()).toEqual(['saved', 'session', 'updated']);
  });

  it('reads made outside a transaction do not see its uncommitted rows', async () => {
    const open = await openThenRollBack();
    const reads = Promise.all([findRows(ds.manager, Note, {}), ds.manager.find(Note), ds.manager.query('SELECT text FROM notes')]);
    await open.end();
    expect(await reads).toEqual([[], [], []]);
  });
});
