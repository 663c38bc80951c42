import { OutboxEvent, OutboxService, TransactionService } from '@portico/core';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseKinds } from '../support/databases';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The outbox tells this process's dispatcher about new events once their transaction has
 * committed (so webhooks go out without waiting for the next poll), and never about a rollback.
 */
describe.each(databaseKinds())('outbox commit signal (%s)', (kind) => {
  let t: TestApp;
  let outbox: OutboxService;
  let tx: TransactionService;
  const signals: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind);
    outbox = t.app.get(OutboxService);
    tx = t.app.get(TransactionService);
    outbox.onCommitted(() => signals.push('committed'));
  });
  afterAll(async () => t?.close());
  beforeEach(() => signals.splice(0));

  const emit = (tenantId: string) =>
    outbox.emit('organization.deleted', tenantId, {
      organization: { id: randomUUID(), tenantKey: null, siteId: 0, name: 'Gone', externalUid: null },
    });

  it('signals after the commit, once the events are readable by anyone', async () => {
    const tenantId = randomUUID();
    await tx.run(async () => {
      await emit(tenantId);
      await emit(tenantId);
      // Still inside the transaction: nothing has been said yet.
      expect(signals).toEqual([]);
    });
    expect(signals.length).toBeGreaterThanOrEqual(1);
    expect(await t.app.get(DataSource).getRepository(OutboxEvent).countBy({ tenantId })).toBe(2);
  });

  it('says nothing when the transaction rolls back, and the events are gone', async () => {
    const tenantId = randomUUID();
    await expect(
      tx.run(async () => {
        await emit(tenantId);
        throw new Error('the caller changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals).toEqual([]);
    expect(await t.app.get(DataSource).getRepository(OutboxEvent).countBy({ tenantId })).toBe(0);
  });
});
