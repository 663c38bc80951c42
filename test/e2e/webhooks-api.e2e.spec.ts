import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { basic, startTestApp, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

/** /api/v1/webhooks: endpoints per tenant, secrets shown once, URL policy, tenant isolation. */
describe.each(databaseKinds())('webhooks API (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let a: TenantFixture;
  let b: TenantFixture;
  let receiver: WebhookReceiver;
  const base = '/api/v1/webhooks/endpoints';

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    a = await makeTenant(t);
    b = await makeTenant(t);
    receiver = await new WebhookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });
  // The one-time secrets of POST and rotate-secret are the only secrets an answer may carry.
  afterEach(() =>
    expect(
      problems
        .splice(0)
        .filter((p) => !/^POST \/api\/v1\/webhooks\/endpoints(\/[^/]+\/rotate-secret)? → 20\d: answer contains "secret"$/.test(p)),
    ).toEqual([]),
  );

  const create = (auth: string, body: Record<string, unknown>) => t.http.post(base).set('Authorization', auth).send(body);
  const local = (extra: Record<string, unknown> = {}) => ({
    url: receiver.url(),
    events: ['user.created'],
    allowPrivateNetwork: true,
    ...extra,
  });
  // A tenant key may not allow loopback destinations: its own endpoints go elsewhere, or a platform admin makes them.
  const remote = (extra: Record<string, unknown> = {}) => ({
    url: 'https://hooks.example.com/portico',
    events: ['user.created'],
    ...extra,
  });
  const localFor = (tenant: TenantFixture, extra: Record<string, unknown> = {}) =>
    create(t.admin, local({ tenantKey: tenant.key, ...extra }));

  it('creates an endpoint for the calling tenant and shows its whsec_ secret once', async () => {
    const res = await create(a.auth, remote({ events: ['user.created', 'organization.deleted'] })).expect(201);
    expect(res.body).toMatchObject({
      tenantKey: a.key,
      url: 'https://hooks.example.com/portico',
      events: ['user.created', 'organization.deleted'],
      enabled: true,
      allowPrivateNetwork: false,
      secretSet: true,
      consecutiveFailures: 0,
      disabledReason: null,
    });
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await t.http.get(`${base}/${res.body.id}`).set('Authorization', a.auth).expect(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(JSON.stringify(got.body)).not.toContain(res.body.secret.slice(6));
    const list = await t.http.get(base).set('Authorization', a.auth).expect(200);
    expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expect(list.body.items[0]).not.toHaveProperty('secret');
  });

  it('stores the secret encrypted, never in clear', async () => {
    const res = await create(a.auth, remote()).expect(201);
    const [row] = await t.app.get(DataSource).query(`SELECT secret_sealed FROM webhook_endpoints WHERE id = '${res.body.id}'`);
    expect(row.secret_sealed).toMatch(/^v1:/);
    expect(row.secret_sealed).not.toContain(res.body.secret.slice(6));
  });

  it('refuses bad input with a 400 naming the field', async () => {
    expectError(await create(a.auth, remote({ events: [] })), 400, /events must name at least one event/);
    expectError(await create(a.auth, remote({ events: ['user.exploded'] })), 400, /events must list event names among: user.created/);
    expectError(await create(a.auth, remote({ events: 'user.created' })), 400, /events/);
    expectError(await create(a.auth, remote({ url: 'not a url' })), 400, /url must be an absolute URL/);
    expectError(await create(a.auth, remote({ url: 'ftp://example.com/x' })), 400, /url: Only https:\/\/ URLs/);
    expectError(await create(a.auth, remote({ enabled: 'yes' })), 400, /enabled must be a boolean/);
    expectError(await create(a.auth, remote({ secret: 'whsec_mine' })), 400, /property secret should not exist/);
  });

  it('refuses loopback, private and metadata destinations unless allowPrivateNetwork', async () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://[::1]/hook',
      'https://10.0.0.8/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.1.10/',
    ]) {
      expectError(await create(a.auth, { url, events: ['user.created'] }), 400, /url: Refused to connect .* needs allowPrivateNetwork/);
    }
    expectError(
      await create(a.auth, { url: receiver.url(), events: ['user.created'] }),
      400,
      /plain http:\/\/ is allowed only for an endpoint marked allowPrivateNetwork/,
    );
    await create(a.auth, { url: 'https://hooks.example.com/portico', events: ['user.created'] }).expect(201);
  });

  it('replaces settings with PUT and deletes with DELETE', async () => {
    const { body: ep } = await localFor(a).expect(201);
    const put = await t.http
      .put(`${base}/${ep.id}`)
      .set('Authorization', a.auth)
      .send({ url: receiver.url('/other'), events: ['user.deleted'], enabled: false })
      .expect(200);
    expect(put.body).toMatchObject({ url: receiver.url('/other'), events: ['user.deleted'], enabled: false, allowPrivateNetwork: true });
    expectError(
      await t.http
        .put(`${base}/${ep.id}`)
        .set('Authorization', a.auth)
        .send({ url: receiver.url(), events: ['user.deleted'], allowPrivateNetwork: false }),
      400,
      /url:/,
    );
    await t.http.delete(`${base}/${ep.id}`).set('Authorization', a.auth).expect(204);
    expectError(await t.http.get(`${base}/${ep.id}`).set('Authorization', a.auth), 404);
  });

  it('rotates the secret: a new one once, the previous kept for the overlap', async () => {
    const { body: ep } = await create(a.auth, remote()).expect(201);
    const rotated = await t.http
      .post(`${base}/${ep.id}/rotate-secret`)
      .set('Authorization', a.auth)
      .send({ overlapMinutes: 60 })
      .expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(ep.secret);
    const expires = new Date(rotated.body.previousSecretExpiresAt).getTime();
    expect(expires).toBeGreaterThan(Date.now() + 55 * 60_000);
    expect(expires).toBeLessThan(Date.now() + 65 * 60_000);
    const got = await t.http.get(`${base}/${ep.id}`).set('Authorization', a.auth).expect(200);
    expect(got.body.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
    expectError(
      await t.http.post(`${base}/${ep.id}/rotate-secret`).set('Authorization', a.auth).send({ overlapMinutes: 99999 }),
      400,
      /overlapMinutes/,
    );
    // No body at all: the default overlap of a day.
    const bare = await t.http.post(`${base}/${ep.id}/rotate-secret`).set('Authorization', a.auth).expect(200);
    expect(new Date(bare.body.previousSecretExpiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
  });

  it('keeps tenants apart: another tenant’s endpoints, deliveries and messages are 404', async () => {
    const { body: ep } = await create(a.auth, remote()).expect(201);
    const listB = await t.http.get(base).set('Authorization', b.auth).expect(200);
    expect(listB.body.items.map((e: { id: string }) => e.id)).not.toContain(ep.id);
    expectError(await t.http.get(`${base}/${ep.id}`).set('Authorization', b.auth), 404);
    expectError(await t.http.put(`${base}/${ep.id}`).set('Authorization', b.auth).send(local()), 404);
    expectError(await t.http.delete(`${base}/${ep.id}`).set('Authorization', b.auth), 404);
    expectError(await t.http.post(`${base}/${ep.id}/rotate-secret`).set('Authorization', b.auth).send({}), 404);
    expectError(await t.http.get(`${base}/${ep.id}/deliveries`).set('Authorization', b.auth), 404);
    expectError(await t.http.get(`${base}/${ep.id}/messages`).set('Authorization', b.auth), 404);
    expectError(
      await t.http
        .post(`${base}/${ep.id}/replay`)
        .set('Authorization', b.auth)
        .send({ since: new Date(0).toISOString() }),
      404,
    );
    expectError(await t.http.post(`/api/v1/webhooks/messages/${randomUUID()}/resend`).set('Authorization', b.auth), 404);
    expectError(await create(b.auth, local({ tenantKey: a.key })), 403, /own tenant/);
    await t.http.get(`${base}/${ep.id}`).set('Authorization', a.auth).expect(200);
  });

  it('lets a platform admin manage any tenant’s endpoints by tenantKey', async () => {
    const res = await create(t.admin, local({ tenantKey: b.key })).expect(201);
    expect(res.body.tenantKey).toBe(b.key);
    await t.http.get(`${base}/${res.body.id}`).set('Authorization', b.auth).expect(200);
    expectError(await create(t.admin, local({ tenantKey: 'no-such-tenant' })), 400, /tenantKey "no-such-tenant" does not name a tenant/);
    const all = await t.http.get(base).set('Authorization', t.admin).expect(200);
    expect(all.body.total).toBeGreaterThanOrEqual(2);
  });

  it('sends a signed test event on demand and answers what the receiver said', async () => {
    const { body: ep } = await localFor(a).expect(201);
    const before = receiver.received.length;
    const sent = await t.http.post(`${base}/${ep.id}/test`).set('Authorization', a.auth).expect(201);
    expect(sent.body).toMatchObject({
      endpointId: ep.id,
      eventType: 'webhook.test',
      status: 'succeeded',
      attempts: 1,
      lastStatusCode: 204,
    });
    const [hook] = receiver.received.slice(before);
    expect(hook.headers['webhook-id']).toBe(sent.body.id);
    expect(new Webhook(ep.secret).verify(hook.body, hook.headers as Record<string, string>)).toMatchObject({
      type: 'webhook.test',
      data: { endpointId: ep.id },
    });
    await t.http.get(`/api/v1/webhooks/messages/${sent.body.id}`).set('Authorization', a.auth).expect(200);

    // A receiver that fails: the answer says so and the message waits for its retry.
    receiver.respond = (_h, res) => void res.writeHead(500).end('down for maintenance');
    try {
      const failed = await t.http.post(`${base}/${ep.id}/test`).set('Authorization', t.admin).expect(201);
      expect(failed.body).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, deliveredAt: null });
      expect(failed.body.nextAttemptAt).toEqual(expect.any(String));
    } finally {
      receiver.respond = () => undefined;
    }
  });

  it('refuses a test event to another tenant’s endpoint, a disabled one, and without credentials', async () => {
    const { body: ep } = await localFor(a).expect(201);
    const before = receiver.received.length;
    expectError(await t.http.post(`${base}/${ep.id}/test`).set('Authorization', b.auth), 404, /Webhook endpoint not found/);
    expectError(await t.http.post(`${base}/${randomUUID()}/test`).set('Authorization', a.auth), 404);
    expectError(await t.http.post(`${base}/not-a-uuid/test`).set('Authorization', a.auth), 400, /id must be a UUID/);
    await t.http.post(`${base}/${ep.id}/test`).expect(401);
    await t.http.post(`${base}/${ep.id}/test`).set('Authorization', basic(a.keyId, 'not-the-secret')).expect(401);
    await t.http.post(`${base}/${ep.id}/test`).set('Authorization', 'Bearer not-a-real-token').expect(401);
    await t.http.put(`${base}/${ep.id}`).set('Authorization', a.auth).send({ url: ep.url, events: ep.events, enabled: false }).expect(200);
    expectError(
      await t.http.post(`${base}/${ep.id}/test`).set('Authorization', a.auth),
      409,
      'The endpoint is disabled: enable it first, then send a test event',
    );
    expect(receiver.received.length).toBe(before);
  });

  it('searches endpoints by URL or description, any case, with % and _ taken literally', async () => {
    const c = await makeTenant(t);
    const make = (auth: string, url: string, description: string) => create(auth, remote({ url, description })).expect(201);
    const { body: percent } = await make(c.auth, 'https://hooks.example.com/a', 'Billing: 100% of charges');
    const { body: underscore } = await make(c.auth, 'https://hooks.example.com/b', 'billing_mirror');
    const { body: byUrl } = await make(c.auth, 'https://Portal.Example.net/hooks', 'Sign-ups');
    await make(b.auth, 'https://hooks.example.com/c', 'Billing of tenant b');
    const search = async (q: string) =>
      (await t.http.get(base).query({ search: q }).set('Authorization', c.auth).expect(200)).body.items.map((e: { id: string }) => e.id);
    // Two endpoints made in the same second may list in either order (SQLite keeps whole seconds).
    const billing = await search('BILLING');
    expect([...billing].sort()).toEqual([percent.id, underscore.id].sort());
    expect(await search('100%')).toEqual([percent.id]);
    expect(await search('%')).toEqual([percent.id]);
    expect(await search('_')).toEqual([underscore.id]);
    expect(await search('portal.example')).toEqual([byUrl.id]);
    expect(await search('nothing like it')).toEqual([]);
    const paged = await t.http.get(base).query({ search: 'billing', limit: 1, offset: 1 }).set('Authorization', c.auth).expect(200);
    expect(paged.body).toMatchObject({ total: 2, limit: 1, offset: 1, items: [{ id: billing[1] }] });

    expectError(
      await t.http
        .get(base)
        .query({ search: 'x'.repeat(5000) })
        .set('Authorization', c.auth),
      400,
      /search/,
    );
    expectError(await t.http.get(base).query({ search: 'bill\u0000ing' }).set('Authorization', c.auth), 400, /search/);
  });

  it('requires credentials and a valid id', async () => {
    await t.http.get(base).expect(401);
    expectError(await t.http.get(`${base}/not-a-uuid`).set('Authorization', a.auth), 400);
    expectError(await t.http.get(`${base}/${randomUUID()}/deliveries?limit=0`).set('Authorization', a.auth), 400, /limit/);
  });
});
