import { Column, DataSource, Entity } from 'typeorm';
import { databaseKinds, entityDataSource, freshDatabase, type TestDatabase } from '../../../../test/support/databases';
import { RequestContext } from '../context/request-context';
import { ForbiddenError } from '../errors/domain.exception';
import { BaseEntity } from './base.entity';
import { scopedList } from './scoped-list';

@Entity('notes')
class Note extends BaseEntity {
  @Column({ type: 'uuid', nullable: true }) tenantId: string | null = null;
  @Column({ type: 'varchar', length: 50 }) text: string = '';
}

const A = 'a0000000-0000-4000-8000-00000000000a';
const B = 'b0000000-0000-4000-8000-00000000000b';
const admin = new RequestContext({ kind: 'platform-admin', id: 'admin', label: 'admin' }, null);
const tenantA = new RequestContext({ kind: 'tenant', id: 'k', label: 'key', tenantId: A, tenantKey: 'a' }, A);
const direct = new RequestContext({ kind: 'user', id: 'u', label: 'direct customer', tenantId: null }, null);

describe.each(databaseKinds())('scopedList on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  const keys: Record<string, string> = { a: A, b: B };
  const texts = async (ctx: RequestContext, query = {}, tenantKey?: string) => {
    const qb = ds.getRepository(Note).createQueryBuilder('n').orderBy('n.text', 'ASC');
    return scopedList(ctx, qb, query, { tenantColumn: 'n.tenant_id', tenantKey, resolveTenant: async (k) => keys[k] ?? null }, (rows) =>
      rows.map((r) => r.text),
    );
  };

  beforeAll(async () => {
    db = await freshDatabase(kind);
    ds = await entityDataSource(db, [Note]);
    const rows = [
      { tenantId: A, text: 'a1' },
      { tenantId: A, text: 'a2' },
      { tenantId: A, text: 'a3' },
      { tenantId: B, text: 'b1' },
      { tenantId: null, text: 'd1' },
    ];
    for (const row of rows) await ds.getRepository(Note).save(Object.assign(new Note(), row));
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('confines a tenant caller to its tenant and a direct customer to rows without one, whatever else the query asks', async () => {
    expect(await texts(tenantA)).toEqual({ items: ['a1', 'a2', 'a3'], total: 3, limit: 50, offset: 0 });
    expect((await texts(direct)).items).toEqual(['d1']);
    await expect(texts(tenantA, {}, 'b')).rejects.toBeInstanceOf(ForbiddenError);
    expect((await texts(tenantA, {}, 'a')).items).toEqual(['a1', 'a2', 'a3']);
  });

  it('shows a platform admin everything, or the tenant it names, and an empty page for an unknown one', async () => {
    expect((await texts(admin)).total).toBe(5);
    expect((await texts(admin, {}, 'b')).items).toEqual(['b1']);
    expect(await texts(admin, { limit: 10, offset: 20 }, 'nope')).toEqual({ items: [], total: 0, limit: 10, offset: 20 });
  });

  it('pages and counts after scoping', async () => {
    expect(await texts(tenantA, { limit: 2, offset: 1 })).toEqual({ items: ['a2', 'a3'], total: 3, limit: 2, offset: 1 });
  });
});
