import { Column, DataSource, Entity } from 'typeorm';
import { BaseEntity } from './base.entity';
import { findOneFast } from './fast-find';
import { PorticoNamingStrategy } from './naming.strategy';

@Entity('widgets')
class Widget extends BaseEntity {
  @Column({ type: 'uuid', nullable: true }) ownerId: string | null = null;
  @Column({ type: Boolean }) enabled: boolean = false;
  @Column({ type: Date, nullable: true }) seenAt: Date | null = null;
  @Column({ type: 'simple-json', nullable: true }) tags: string[] | null = null;
}

describe('findOneFast', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: [Widget],
      synchronize: true,
      namingStrategy: new PorticoNamingStrategy(),
    }).initialize();
  });
  afterAll(() => ds.destroy());

  it('returns the same entity as findOneBy, with the same types', async () => {
    const w = await ds.manager.save(
      ds.manager.create(Widget, {
        ownerId: 'a0000000-0000-4000-8000-000000000001',
        enabled: true,
        seenAt: new Date('2026-01-02T03:04:05.678Z'),
        tags: ['x'],
      }),
    );
    const fast = await findOneFast(ds.manager, Widget, { id: w.id, ownerId: w.ownerId });
    const slow = await ds.manager.findOneBy(Widget, { id: w.id });
    expect(fast).toBeInstanceOf(Widget);
    expect(fast).toEqual(slow);
    expect(fast!.enabled).toBe(true);
    expect(fast!.seenAt).toEqual(new Date('2026-01-02T03:04:05.678Z'));
  });

  it('filters on every given column, null meaning IS NULL', async () => {
    const w = await ds.manager.save(ds.manager.create(Widget, {}));
    expect(await findOneFast(ds.manager, Widget, { id: w.id, ownerId: null })).not.toBeNull();
    expect(await findOneFast(ds.manager, Widget, { id: w.id, ownerId: 'a0000000-0000-4000-8000-000000000009' })).toBeNull();
    expect(await findOneFast(ds.manager, Widget, { id: 'b0000000-0000-4000-8000-000000000000' })).toBeNull();
  });
});
