import { Column, DataSource, Entity, Index, QueryFailedError } from 'typeorm';
import { databaseKinds, entityDataSource, freshDatabase, type TestDatabase } from '../../../../test/support/databases';
import { BaseEntity } from './base.entity';
import { insertRows } from './insert-rows';
import { deleteRows, findOneFast, findRows, updateRows } from './plain-sql';

@Entity('widgets')
class Widget extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 50 })
  name: string = '';
  @Column({ type: 'uuid', nullable: true }) ownerId: string | null = null;
  @Column({ type: Boolean }) enabled: boolean = false;
  @Column({ type: Number }) count: number = 0;
  @Column({ type: Date, nullable: true }) seenAt: Date | null = null;
  @Column({ type: 'simple-json', nullable: true }) tags: string[] | null = null;
}

// A constructor that sets more than columns, and a text column with a transformer: loading must
// keep both as TypeORM does (the constructor runs, the transformer converts).
@Entity('gadgets')
class Gadget extends BaseEntity {
  @Column({ type: 'varchar', length: 50, transformer: { to: (v: string) => v, from: (v: string | null) => (v === null ? v : `<${v}>`) } })
  label: string = '';
  @Column({ type: 'varchar', length: 50, nullable: true }) note: string | null = null;
  readonly history: string[] = ['made'];
}

const OWNER = 'a0000000-0000-4000-8000-000000000001';

describe.each(databaseKinds())('plain SQL statements on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await freshDatabase(kind);
    ds = await entityDataSource(db, [Widget, Gadget]);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(() => ds.manager.clear(Widget));

  const make = (name: string, extra: Partial<Widget> = {}) => ds.manager.create(Widget, { name, ...extra });

  it('findOneFast returns the same entity as findOneBy, with the same types', async () => {
    const w = await ds.manager.save(
      make('a', { ownerId: OWNER, enabled: true, seenAt: new Date('2026-01-02T03:04:05.678Z'), tags: ['x'] }),
    );
    const fast = await findOneFast(ds.manager, Widget, { id: w.id, ownerId: w.ownerId });
    const slow = await ds.manager.findOneBy(Widget, { id: w.id });
    expect(fast).toBeInstanceOf(Widget);
    expect(fast).toEqual(slow);
    expect(fast!.enabled).toBe(true);
    expect(fast!.seenAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
  });

  it('loads an entity whose constructor sets more than columns, and a transformed column, as TypeORM does', async () => {
    const g = await ds.manager.save(ds.manager.create(Gadget, { label: 'one' }));
    const fast = await findOneFast(ds.manager, Gadget, { id: g.id });
    const slow = await ds.manager.findOneBy(Gadget, { id: g.id });
    expect(fast).toBeInstanceOf(Gadget);
    expect(fast).toEqual(slow);
    expect(fast).toMatchObject({ id: g.id, label: '<one>', note: null, history: ['made'] });
    expect(fast!.createdAt).toBeInstanceOf(Date);
  });

  it('filters on every given property: null is IS NULL, an array is IN, an empty array matches nothing', async () => {
    const a = await ds.manager.save(make('a'));
    await ds.manager.save(make('b', { ownerId: OWNER }));
    await ds.manager.save(make('c'));
    expect(await findOneFast(ds.manager, Widget, { id: a.id, ownerId: null })).not.toBeNull();
    expect(await findOneFast(ds.manager, Widget, { id: a.id, ownerId: OWNER })).toBeNull();
    const names = async (where: Parameters<typeof findRows<Widget>>[2]) =>
      (await findRows(ds.manager, Widget, where, { orderBy: { name: 'DESC' } })).map((w) => w.name);
    expect(await names({ name: ['a', 'b', 'zz'] })).toEqual(['b', 'a']);
    expect(await names({ name: ['a', 'b'], ownerId: null })).toEqual(['a']);
    expect(await names({ name: [] })).toEqual([]);
    expect(await findRows(ds.manager, Widget, {}, { orderBy: { name: 'ASC' }, limit: 2 })).toHaveLength(2);
  });

  it('binds values: a value that looks like SQL is only a value', async () => {
    await ds.manager.save(make('a'));
    expect(await findRows(ds.manager, Widget, { name: "a' OR '1'='1" })).toEqual([]);
    await updateRows(ds.manager, Widget, { name: "x' OR '1'='1" }, { count: 9 });
    expect((await findOneFast(ds.manager, Widget, { name: 'a' }))!.count).toBe(0);
  });

  it('updateRows sets values and expressions, and moves updated_at', async () => {
    const w = await ds.manager.save(make('a', { count: 2 }));
    const before = (await ds.manager.findOneByOrFail(Widget, { id: w.id })).updatedAt;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await updateRows(ds.manager, Widget, { id: w.id }, { enabled: true, seenAt: new Date('2026-05-06T07:08:09.000Z'), tags: ['y'] });
    await updateRows(ds.manager, Widget, { id: w.id }, { count: () => 'count + 40' });
    const after = await ds.manager.findOneByOrFail(Widget, { id: w.id });
    expect(after).toMatchObject({ enabled: true, count: 42, seenAt: new Date('2026-05-06T07:08:09.000Z'), tags: ['y'] });
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it('deleteRows deletes only what matches, and refuses to run without a condition', async () => {
    await ds.manager.save([make('a', { ownerId: OWNER }), make('b', { ownerId: OWNER }), make('c')]);
    await deleteRows(ds.manager, Widget, { ownerId: OWNER, name: 'a' });
    expect((await ds.manager.find(Widget, { order: { name: 'ASC' } })).map((w) => w.name)).toEqual(['b', 'c']);
    await expect(deleteRows(ds.manager, Widget, {})).rejects.toThrow('needs a condition');
  });

  it('insertRows writes rows as TypeORM reads them, ignores or overwrites a duplicate key as asked', async () => {
    await insertRows(ds.manager, Widget, [make('a', { tags: ['t'], seenAt: new Date('2026-01-01T00:00:00.000Z') }), make('b')]);
    const a = await ds.manager.findOneByOrFail(Widget, { name: 'a' });
    expect(a).toMatchObject({ tags: ['t'], seenAt: new Date('2026-01-01T00:00:00.000Z'), enabled: false });
    expect(a.createdAt).toBeInstanceOf(Date);

    await insertRows(ds.manager, Widget, make('a', { count: 5 }), { orIgnore: true });
    expect((await ds.manager.findOneByOrFail(Widget, { name: 'a' })).count).toBe(0);

    await insertRows(ds.manager, Widget, make('a', { count: 7, enabled: true }), { upsert: { target: ['name'], set: ['count'] } });
    const upserted = await ds.manager.findOneByOrFail(Widget, { name: 'a' });
    expect(upserted).toMatchObject({ id: a.id, count: 7, enabled: false });
    await expect(insertRows(ds.manager, Widget, make('b'))).rejects.toThrow();
  });

  it('reads inside a transaction see its own uncommitted rows, and nothing of them after a rollback', async () => {
    await expect(
      ds.transaction(async (m) => {
        await m.save(make('pending'));
        expect((await findOneFast(m, Widget, { name: 'pending' }))?.name).toBe('pending');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await findOneFast(ds.manager, Widget, { name: 'pending' })).toBeNull();
  });

  it('a failing read is a QueryFailedError naming the statement, as from TypeORM', async () => {
    await ds.query(kind === 'postgres' ? 'ALTER TABLE widgets RENAME TO widgets_away' : 'ALTER TABLE "widgets" RENAME TO "widgets_away"');
    try {
      await expect(findRows(ds.manager, Widget, { name: 'a' })).rejects.toBeInstanceOf(QueryFailedError);
      await expect(findRows(ds.manager, Widget, { name: 'a' })).rejects.toMatchObject({ query: expect.stringContaining('FROM "widgets"') });
    } finally {
      await ds.query('ALTER TABLE widgets_away RENAME TO widgets');
    }
  });
});
