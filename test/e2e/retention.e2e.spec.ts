import { LoginThrottle, LoginThrottleService } from '@portico/auth';
import { insertRows, OutboxDispatcher, OutboxEvent } from '@portico/core';
import { WebhookAttempt, WebhookMessage } from '@portico/webhooks';
import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { DeliverySweeper } from '../../libs/webhooks/src/delivery/delivery-sweeper';
import { databaseKinds } from '../support/databases';
import { makeTenant } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

// Rows go in with insertRows: TypeORM's insert reads generated columns back on SQLite and can hand
// an array's ids back in another order, which would mix up which row is which here.

/**
 * Housekeeping: the tables that grow with traffic (the outbox, webhook messages and their attempts,
 * login throttle keys) lose their old rows, and only those (OUTBOX_RETENTION_DAYS=7 and
 * WEBHOOK_RETENTION_DAYS=30 by default).
 */
describe.each(databaseKinds())('retention of old rows (%s)', (kind) => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp(kind);
    db = t.app.get(DataSource);
  });
  afterAll(async () => t?.close());

  const present = async (
    target: typeof OutboxEvent | typeof WebhookMessage | typeof WebhookAttempt | typeof LoginThrottle,
    ids: string[],
  ) => (await db.getRepository(target).find({ select: { id: true }, where: { id: In(ids) } })).map((r) => r.id).sort();

  it('deletes outbox events dispatched more than 7 days ago and keeps the rest', async () => {
    const tenantId = randomUUID();
    const event = (occurred: Date, dispatched: Date | null) =>
      db.getRepository(OutboxEvent).create({ name: 'user.created', tenantId, data: {}, occurredAt: occurred, dispatchedAt: dispatched });
    const old = event(daysAgo(10), daysAgo(9));
    const recent = event(daysAgo(3), daysAgo(3));
    // Never dispatched yet (a subscriber was down): kept whatever its age, it still has to go out.
    const waiting = event(daysAgo(20), null);
    await insertRows(db.manager, OutboxEvent, [old, recent, waiting]);

    expect(await t.app.get(OutboxDispatcher).prune()).toBeGreaterThanOrEqual(1);
    expect(await present(OutboxEvent, [old.id, recent.id, waiting.id])).toEqual([recent.id, waiting.id].sort());
  });

  it('deletes finished webhook messages older than 30 days with their attempts; pending ones stay', async () => {
    const tenant = await makeTenant(t);
    const endpoint = (
      await t.http
        .post('/api/v1/webhooks/endpoints')
        .set('Authorization', t.admin)
        .send({
          tenantKey: tenant.key,
          url: 'http://127.0.0.1:9/hooks',
          events: ['user.created'],
          allowPrivateNetwork: true,
          enabled: false,
        })
    ).body as { id: string };
    expect(endpoint.id).toEqual(expect.any(String));
    const message = (status: 'pending' | 'succeeded' | 'failed', finished: Date | null) =>
      db.getRepository(WebhookMessage).create({
        endpointId: endpoint.id,
        tenantId: tenant.id,
        eventId: randomUUID(),
        eventType: 'user.created',
        payload: '{}',
        status,
        attempts: 1,
        scheduleStep: 1,
        // Far in the future: the delivery sweeper leaves the pending one alone during the test.
        nextAttemptAt: status === 'pending' ? new Date(Date.now() + 3_600_000) : null,
        deliveredAt: status === 'succeeded' ? finished : null,
        failedAt: status === 'failed' ? finished : null,
      });
    const oldDelivered = message('succeeded', daysAgo(40));
    const oldFailed = message('failed', daysAgo(31));
    const recentFailed = message('failed', daysAgo(5));
    const pending = message('pending', null);
    const all = [oldDelivered, oldFailed, recentFailed, pending];
    await insertRows(db.manager, WebhookMessage, all);
    const attempts = all.map((m) =>
      db.getRepository(WebhookAttempt).create({
        messageId: m.id,
        endpointId: endpoint.id,
        tenantId: tenant.id,
        attempt: 1,
        at: new Date(),
        statusCode: 500,
        durationMs: 3,
      }),
    );
    await insertRows(db.manager, WebhookAttempt, attempts);

    expect(await t.app.get(DeliverySweeper).prune()).toBe(2);
    expect(
      await present(
        WebhookMessage,
        all.map((m) => m.id),
      ),
    ).toEqual([recentFailed.id, pending.id].sort());
    // The attempts of the deleted messages went with them (the foreign key cascades).
    expect(
      await present(
        WebhookAttempt,
        attempts.map((a) => a.id),
      ),
    ).toEqual([attempts[2].id, attempts[3].id].sort());
    // The console still lists what is left.
    const listed = await t.http.get(`/api/v1/webhooks/endpoints/${endpoint.id}/messages`).set('Authorization', tenant.auth).expect(200);
    expect(listed.body.items.map((m: { id: string }) => m.id).sort()).toEqual([recentFailed.id, pending.id].sort());
  });

  it('forgets login throttle keys quiet for a day, but never one that is locked now', async () => {
    const repo = db.getRepository(LoginThrottle);
    const key = (updated: Date, failures: number, lockedUntil: Date | null) =>
      repo.create({
        key: `password:acct:${randomUUID()}@example.com`,
        failures,
        lockouts: lockedUntil ? 1 : 0,
        lockedUntil,
        updatedAt: updated,
      });
    const quiet = key(daysAgo(2), 3, null);
    const lockExpired = key(daysAgo(2), 0, daysAgo(1.5));
    const stillLocked = key(daysAgo(2), 0, new Date(Date.now() + 3_600_000));
    const recent = key(new Date(Date.now() - 3_600_000), 2, null);
    const all = [quiet, lockExpired, stillLocked, recent];
    await insertRows(db.manager, LoginThrottle, all);
    // updated_at is set by the database on insert: put the intended times back.
    for (const row of all)
      await repo
        .createQueryBuilder()
        .update()
        .set({ updatedAt: () => ':at' })
        .setParameter('at', row.updatedAt)
        .where('id = :id', { id: row.id })
        .execute();

    expect(await t.app.get(LoginThrottleService).prune()).toBe(2);
    expect(
      await present(
        LoginThrottle,
        all.map((r) => r.id),
      ),
    ).toEqual([stillLocked.id, recent.id].sort());
  });
});
