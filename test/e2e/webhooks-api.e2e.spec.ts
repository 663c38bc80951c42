import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
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

  it('requires credentials and a valid id', async () => {
    await t.http.get(base).expect(401);
    expectError(await t.http.get(`${base}/not-a-uuid`).set('Authorization', a.auth), 400);
    expectError(await t.http.get(`${base}/${randomUUID()}/deliveries?limit=0`).set('Authorization', a.auth), 400, /limit/);
  });
});
