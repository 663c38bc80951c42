import { setTimeout as sleep } from 'node:timers/promises';
import { BaseEntity, TransactionService } from '@portico/core';
import { DataSource, Entity } from 'typeorm';
import { databaseKinds, entityDataSource, freshDatabase, type TestDatabase } from '../../../../test/support/databases';
import { EntitlementClass } from '../entities/entitlement-class.entity';
import { VirtualEntitlement } from '../entities/virtual-entitlement.entity';
import { KeyLookupRepository } from './key-lookup.repository';

// The tables the keys' foreign keys name, without another domain's entities.
@Entity('tenants')
class TenantRow extends BaseEntity {}
@Entity('organizations')
class OrganizationRow extends BaseEntity {}

describe.each(databaseKinds())('KeyLookupRepository on %s', (kind) => {
  let db: TestDatabase;
  let ds: DataSource;
  let tx: TransactionService;
  let lookup: KeyLookupRepository;
  let classId: string;

  beforeAll(async () => {
    db = await freshDatabase(kind);
    ds = await entityDataSource(db, [EntitlementClass, VirtualEntitlement, TenantRow, OrganizationRow]);
    tx = new TransactionService(ds);
    lookup = new KeyLookupRepository(ds);
    lookup.onModuleInit();
    classId = (await ds.manager.save(ds.manager.create(EntitlementClass, { name: 'pro', server: 'rm.example.com', realKey: 'REAL' }))).id;
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const key = (key: string) =>
    Object.assign(new VirtualEntitlement(), { tenantId: null, key, classId, status: 'active', expiresAt: null, organizationId: null });

  it('finds a committed key with its class', async () => {
    await ds.manager.insert(VirtualEntitlement, key('cust-1'));
    expect(await lookup.find('cust-1')).toEqual([
      { status: 'active', expiresAt: null, server: 'rm.example.com', className: 'pro', realKey: 'REAL' },
    ]);
  });

  it('does not see a key another request is adding in a transaction that then rolls back', async () => {
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    let mayEnd!: () => void;
    const mayEndYet = new Promise<void>((resolve) => (mayEnd = resolve));
    const rolledBack = tx
      .run(async () => {
        await tx.manager.insert(VirtualEntitlement, key('cust-2'));
        inserted();
        // Still open: the lookup below is asked meanwhile.
        await mayEndYet;
        throw new Error('conflict');
      })
      .catch(() => undefined);
    await insertedYet;
    const found = lookup.find('cust-2');
    // Time for the lookup to run if it does not wait for the transaction.
    await sleep(20);
    mayEnd();
    expect(await found).toEqual([]);
    await rolledBack;
  });
});
