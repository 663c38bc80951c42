import { RequestContext, TransactionService } from '@portico/core';
import { UsersService } from '@portico/users';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';

const EP = '/api/v1/webhooks/endpoints';

/**
 * Delivery on the embedded default (jobs in-process): domain events from the real API reach a
 * receiver on 127.0.0.1, signed so that the standardwebhooks library verifies them, with retries on
 * a short schedule (WEBHOOK_RETRY_SCHEDULE=0,1,1: three attempts a second apart).
 */
describe.each(databaseKinds())('webhook delivery (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    t = await startTestApp(kind, { WEBHOOK_RETRY_SCHEDULE: '0,1,1', WEBHOOK_TIMEOUT_SECONDS: '1' });
    problems = watchResponses(t);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
  });
  afterEach(() => expect(problems.splice(0).filter((p) => !/→ 20\d: answer contains "secret"$/.test(p))).toEqual([]));

  const receiver = async (respond?: ConstructorParameters<typeof WebhookReceiver>[0]) => {
    const r = await new WebhookReceiver(respond).start();
    receivers.push(r);
    return r;
  };
  /** A fresh tenant with one endpoint on `r`. */
  const subscribe = async (r: WebhookReceiver, events: string[], extra: Record<string, unknown> = {}) => {
    const tenant = await makeTenant(t);
    const res = await t.http
      .post(EP)
      // A receiver on loopback: only a platform admin may allow that, for the tenant.
      .set('Authorization', t.admin)
      .send({ tenantKey: tenant.key, url: r.url(), events, allowPrivateNetwork: true, ...extra })
      .expect(201);
    return { tenant, endpoint: res.body as { id: string; secret: string } };
  };
  const endpointOf = async (tenant: TenantFixture, id: string) =>
    (await t.http.get(`${EP}/${id}`).set('Authorization', tenant.auth).expect(200)).body;
  const messagesOf = async (tenant: TenantFixture, id: string) =>
    (await t.http.get(`${EP}/${id}/messages`).set('Authorization', tenant.auth).expect(200)).body.items;
  const attemptsOf = async (tenant: TenantFixture, id: string) =>
    (await t.http.get(`${EP}/${id}/deliveries`).set('Authorization', tenant.auth).expect(200)).body.items;
  const settled = (tenant: TenantFixture, id: string, status: 'succeeded' | 'failed', count = 1) =>
    eventually(
      async () => {
        const items = await messagesOf(tenant, id);
        return items.length === count && items.every((m: { status: string }) => m.status === status) && items;
      },
      20_000,
      `${count} message(s) ${status}`,
    );

  it('delivers user.created signed per Standard Webhooks, verifiable by the standardwebhooks library', async () => {
    const r = await receiver();
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    const user = await makeUser(t, tenant.auth, { password: 'a long enough password', firstName: 'Ada' });
    const [hook] = await eventually(() => r.of('user.created').length && r.of('user.created'));
    const verified = new Webhook(endpoint.secret).verify(hook.body, hook.headers as Record<string, string>) as { data: { user: object } };
    expect(verified).toEqual({
      type: 'user.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        user: {
          id: user.id,
          tenantKey: tenant.key,
          email: user.email,
          username: user.email,
          firstName: 'Ada',
          lastName: 'User',
          billable: false,
          status: 'active',
          externalUid: null,
        },
      },
    });
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(hook.body).not.toMatch(/password|argon2|secret/i);
    expect(() => new Webhook(endpoint.secret).verify(hook.body.replace('Ada', 'Eve'), hook.headers as Record<string, string>)).toThrow();
    const [message] = await settled(tenant, endpoint.id, 'succeeded');
    expect(message).toMatchObject({ id: hook.headers['webhook-id'], eventType: 'user.created', attempts: 1, lastStatusCode: 204 });
  });

  it('sends only subscribed events of the endpoint’s own tenant: users, organizations, memberships', async () => {
    const r = await receiver();
    const { tenant } = await subscribe(r, [
      'organization.created',
      'organization.updated',
      'membership.created',
      'membership.updated',
      'membership.deleted',
      'user.billable_changed',
      'user.deleted',
      'organization.deleted',
    ]);
    const other = await makeTenant(t);
    await makeOrganization(t, other.auth);
    const org = await makeOrganization(t, tenant.auth, { externalUid: 'grp-1' });
    const user = await makeUser(t, tenant.auth);
    await t.http.patch(`/api/v1/organizations/${org.id}`).set('Authorization', tenant.auth).send({ name: 'Renamed' }).expect(200);
    await t.http
      .post(`/api/v1/organizations/${org.id}/members`)
      .set('Authorization', tenant.auth)
      .send({ userId: user.id, role: 'member' })
      .expect(201);
    await t.http
      .put(`/api/v1/organizations/${org.id}/members/${user.id}`)
      .set('Authorization', tenant.auth)
      .send({ role: 'admin' })
      .expect(200);
    await t.http.delete(`/api/v1/organizations/${org.id}/members/${user.id}`).set('Authorization', tenant.auth).expect(204);
    await t.http.put(`/api/v1/users/${user.id}/billable`).set('Authorization', tenant.auth).send({ billable: true }).expect(200);
    await t.http.delete(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(204);
    await t.http.delete(`/api/v1/organizations/${org.id}`).set('Authorization', tenant.auth).expect(204);
    const expected = [
      'organization.created',
      'organization.updated',
      'membership.created',
      'membership.updated',
      'membership.deleted',
      'user.billable_changed',
      'user.deleted',
      'organization.deleted',
    ];
    await eventually(() => r.received.length >= expected.length, 20_000, 'every event');
    expect(new Set(r.received.map((h) => h.json.type))).toEqual(new Set(expected));
    expect(r.received).toHaveLength(expected.length);
    expect(r.of('organization.updated')[0].json.data).toEqual({
      organization: { id: org.id, tenantKey: tenant.key, siteId: org.siteId, name: 'Renamed', externalUid: 'grp-1' },
      changed: ['name'],
    });
    expect(r.of('membership.updated')[0].json.data).toEqual({
      membership: { userId: user.id, organizationId: org.id, role: 'admin', tenantKey: tenant.key },
    });
    expect(r.of('membership.deleted')[0].json.data.membership.role).toBe('admin');
    expect(r.of('user.billable_changed')[0].json.data.user).toMatchObject({ id: user.id, billable: true });
    expect(new Set(r.received.map((h) => h.headers['webhook-id'])).size).toBe(expected.length);
  });

  it('leaves no message when the change rolls back', async () => {
    const r = await receiver();
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    const existing = await makeUser(t, tenant.auth);
    // A conflict: the API's own transaction rolls back.
    await t.http.post('/api/v1/users').set('Authorization', tenant.auth).send({ email: existing.email }).expect(409);
    // A failure later in the caller's transaction undoes the user and its event together.
    const ctx = new RequestContext(
      { kind: 'tenant', id: tenant.keyId, label: tenant.key, tenantId: tenant.id, tenantKey: tenant.key },
      tenant.id,
    );
    await expect(
      t.app.get(TransactionService).run(async () => {
        await t.app.get(UsersService).create(ctx, { email: 'rolled-back@example.com', firstName: 'Roll', lastName: 'Back' });
        throw new Error('something after the user failed');
      }),
    ).rejects.toThrow('something after the user failed');
    const after = await makeUser(t, tenant.auth);
    await settled(tenant, endpoint.id, 'succeeded', 2);
    // Two messages, delivered in parallel: in either order.
    expect(r.received.map((h) => h.json.data.user.email).sort()).toEqual([existing.email, after.email].sort());
    const [{ count }] = await t.app
      .get(DataSource)
      .query(`SELECT COUNT(*) AS count FROM outbox_events WHERE data LIKE '%rolled-back@example.com%'`);
    expect(Number(count)).toBe(0);
  });

  it('retries a failed delivery with the same webhook-id and logs every attempt', async () => {
    const r = await receiver((_h, res, i) => void (i < 2 && res.writeHead(500, { 'content-type': 'text/plain' }).end(`boom ${i}`)));
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    const [message] = await settled(tenant, endpoint.id, 'succeeded');
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((h) => h.headers['webhook-id']))).toEqual(new Set([message.id]));
    expect(new Set(r.received.map((h) => h.body)).size).toBe(1);
    for (const h of r.received)
      expect(() => new Webhook(endpoint.secret).verify(h.body, h.headers as Record<string, string>)).not.toThrow();
    const attempts = await attemptsOf(tenant, endpoint.id);
    expect(
      attempts.map((a: { attempt: number; statusCode: number; error: string | null; responseBody: string | null }) => [
        a.attempt,
        a.statusCode,
        a.error,
        a.responseBody,
      ]),
    ).toEqual([
      [3, 204, null, ''],
      [2, 500, 'HTTP 500', 'boom 1'],
      [1, 500, 'HTTP 500', 'boom 0'],
    ]);
    for (const a of attempts) expect(a).toMatchObject({ messageId: message.id, eventType: 'user.created', durationMs: expect.any(Number) });
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ consecutiveFailures: 0, failingSince: null, enabled: true });
  });

  it('marks the message failed after the last attempt and shows the endpoint’s failure streak', async () => {
    const r = await receiver((_h, res) => void res.writeHead(503).end());
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    const [message] = await settled(tenant, endpoint.id, 'failed');
    expect(message).toMatchObject({
      attempts: 3,
      lastStatusCode: 503,
      lastError: 'HTTP 503',
      nextAttemptAt: null,
      failedAt: expect.any(String),
    });
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({
      enabled: true,
      consecutiveFailures: 3,
      failingSince: expect.any(String),
    });
  });

  it('honours Retry-After on 429', async () => {
    const r = await receiver((_h, res, i) => void (i === 0 && res.writeHead(429, { 'retry-after': '3' }).end()));
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    const first = await eventually(async () => (await messagesOf(tenant, endpoint.id)).find((m: { attempts: number }) => m.attempts === 1));
    const [attempt] = await attemptsOf(tenant, endpoint.id);
    // The schedule says 1 s; the receiver asked for 3 s.
    expect(new Date(first.nextAttemptAt).getTime() - new Date(attempt.at).getTime()).toBeGreaterThanOrEqual(2_900);
    await settled(tenant, endpoint.id, 'succeeded');
    expect(r.received).toHaveLength(2);
  });

  it('disables the endpoint on 410 Gone and says why', async () => {
    const r = await receiver((_h, res) => void res.writeHead(410).end());
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    const [message] = await settled(tenant, endpoint.id, 'failed');
    expect(message).toMatchObject({ attempts: 1, lastStatusCode: 410 });
    const ep = await endpointOf(tenant, endpoint.id);
    expect(ep).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410 Gone/), disabledAt: expect.any(String) });
    // Disabled: later events make no message for it (a second endpoint shows they were processed).
    const witness = await receiver();
    await t.http
      .post(EP)
      .set('Authorization', t.admin)
      .send({ tenantKey: tenant.key, url: witness.url(), events: ['user.created'], allowPrivateNetwork: true })
      .expect(201);
    await makeUser(t, tenant.auth);
    await makeUser(t, tenant.auth);
    await eventually(() => witness.received.length === 2, 20_000, 'the witness endpoint to get both events');
    expect(await messagesOf(tenant, endpoint.id)).toHaveLength(1);
    expect(r.received).toHaveLength(1);
    const enabled = await t.http
      .put(`${EP}/${endpoint.id}`)
      .set('Authorization', tenant.auth)
      .send({ url: r.url(), events: ['user.created'], enabled: true })
      .expect(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const r = await receiver((h, res) => void (h.path === '/hook' ? res.writeHead(302, { location: '/elsewhere' }).end() : undefined));
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    const [message] = await settled(tenant, endpoint.id, 'failed');
    expect(message.lastError).toMatch(/HTTP 302: redirects are not followed \(to \/elsewhere\)/);
    expect(r.received.map((h) => h.path)).toEqual(['/hook', '/hook', '/hook']);
  });

  it('gives up on an answer slower than the timeout', async () => {
    const r = await receiver(async (_h, res) => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      if (!res.destroyed) res.writeHead(200).end();
    });
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    const [message] = await settled(tenant, endpoint.id, 'failed');
    expect(message).toMatchObject({ lastStatusCode: null, lastError: 'The destination did not answer in time' });
    const attempts = await attemptsOf(tenant, endpoint.id);
    expect(attempts.every((a: { statusCode: null }) => a.statusCode === null)).toBe(true);
  });

  it('refuses at connect time a name that resolves to loopback, without allowPrivateNetwork', async () => {
    const r = await receiver();
    const tenant = await makeTenant(t);
    const { body: endpoint } = await t.http
      .post(EP)
      .set('Authorization', tenant.auth)
      .send({ url: `https://localhost:${r.portNumber}/hook`, events: ['user.created'] })
      .expect(201);
    await makeUser(t, tenant.auth);
    const [message] = await settled(tenant, endpoint.id, 'failed');
    expect(message.lastError).toMatch(/Refused to connect to localhost \((127\.0\.0\.1|::1)\)/);
    expect(r.received).toHaveLength(0);
  });

  it('keeps at most 2 KiB of the answer', async () => {
    const r = await receiver((_h, res) => void res.writeHead(200).end('x'.repeat(10_000)));
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    await makeUser(t, tenant.auth);
    await settled(tenant, endpoint.id, 'succeeded');
    const [attempt] = await attemptsOf(tenant, endpoint.id);
    expect(attempt.responseBody).toBe('x'.repeat(2048));
  });

  it('signs with both secrets while a rotation overlaps, then with the new one only', async () => {
    const r = await receiver();
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    const rotate = (overlapMinutes: number) =>
      t.http.post(`${EP}/${endpoint.id}/rotate-secret`).set('Authorization', tenant.auth).send({ overlapMinutes }).expect(200);
    const { body: rotated } = await rotate(60);
    await makeUser(t, tenant.auth);
    const [hook] = await eventually(() => r.received.length && r.received);
    expect(String(hook.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.secret).verify(hook.body, hook.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(endpoint.secret).verify(hook.body, hook.headers as Record<string, string>)).not.toThrow();
    const { body: again } = await rotate(0);
    await makeUser(t, tenant.auth);
    const second = await eventually(() => r.received.length === 2 && r.received[1]);
    expect(String(second.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => new Webhook(again.secret).verify(second.body, second.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(rotated.secret).verify(second.body, second.headers as Record<string, string>)).toThrow();
  });

  it('resends one message, and replays every failed message since a time, with the same webhook-id', async () => {
    let healthy = false;
    const r = await receiver((_h, res) => void (healthy ? undefined : res.writeHead(500).end()));
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    const since = new Date(Date.now() - 2_000).toISOString();
    await makeUser(t, tenant.auth);
    await makeUser(t, tenant.auth);
    await makeUser(t, tenant.auth);
    const failed = await settled(tenant, endpoint.id, 'failed', 3);
    healthy = true;
    const resent = await t.http.post(`/api/v1/webhooks/messages/${failed[0].id}/resend`).set('Authorization', tenant.auth).expect(202);
    expect(resent.body).toMatchObject({ id: failed[0].id, status: 'pending' });
    await eventually(
      async () =>
        (await t.http.get(`/api/v1/webhooks/messages/${failed[0].id}`).set('Authorization', tenant.auth)).body.status === 'succeeded',
    );
    expect(r.received.at(-1)!.headers['webhook-id']).toBe(failed[0].id);
    const other = await makeTenant(t);
    await t.http.post(`/api/v1/webhooks/messages/${failed[1].id}/resend`).set('Authorization', other.auth).expect(404);
    const replay = await t.http.post(`${EP}/${endpoint.id}/replay`).set('Authorization', tenant.auth).send({ since }).expect(202);
    expect(replay.body).toEqual({ queued: 2 });
    await settled(tenant, endpoint.id, 'succeeded', 3);
    const ok = r.received.slice(-3).map((h) => h.headers['webhook-id']);
    expect(new Set(ok)).toEqual(new Set(failed.map((m: { id: string }) => m.id)));
  });

  it('disables an endpoint that has failed for days, and says why', async () => {
    const r = await receiver((_h, res) => void res.writeHead(500).end());
    const { tenant, endpoint } = await subscribe(r, ['user.created']);
    const sixDaysAgo = new Date(Date.now() - 6 * 86_400_000);
    await t.app
      .get(DataSource)
      .createQueryBuilder()
      .update('webhook_endpoints')
      .set({ failingSince: sixDaysAgo, consecutiveFailures: 40 })
      .where('id = :id', { id: endpoint.id })
      .execute();
    await makeUser(t, tenant.auth);
    const ep = await eventually(async () => {
      const e = await endpointOf(tenant, endpoint.id);
      return !e.enabled && e;
    });
    expect(ep.disabledReason).toMatch(/^Every delivery failed for 5 days \(failing since .*; last error: HTTP 500\)/);
    expect(ep.consecutiveFailures).toBeGreaterThanOrEqual(41);
  });
});
