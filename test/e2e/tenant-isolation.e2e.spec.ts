import { randomUUID } from 'node:crypto';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

/** Tenant A's API key against everything tenant B owns, and against every platform-admin route. */
describe.each(databaseKinds())('tenant isolation (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let a: TenantFixture;
  let b: TenantFixture;
  let aUser: { id: string; email: string };
  let aOrg: { id: string; name: string };
  let bUser: { id: string; email: string };
  let bOrg: { id: string; name: string };
  let bSnapshot: { user: unknown; org: unknown; members: unknown };

  const snapshotB = async () => ({
    user: (await t.http.get(`/api/v1/users/${bUser.id}`).set('Authorization', b.auth).expect(200)).body,
    org: (await t.http.get(`/api/v1/organizations/${bOrg.id}`).set('Authorization', b.auth).expect(200)).body,
    members: (await t.http.get(`/api/v1/organizations/${bOrg.id}/members`).set('Authorization', b.auth).expect(200)).body,
  });

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    a = await makeTenant(t);
    b = await makeTenant(t);
    aOrg = await makeOrganization(t, a.auth, { externalUid: 'shared-uid' });
    aUser = await makeUser(t, a.auth, { organizationId: aOrg.id, externalUid: 'shared-user' });
    bOrg = await makeOrganization(t, b.auth, { externalUid: 'shared-uid' });
    bUser = await makeUser(t, b.auth, { organizationId: bOrg.id, role: 'owner', externalUid: 'shared-user' });
    bSnapshot = await snapshotB();
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));
  // Whatever A tried, B's data is exactly as it was.
  afterEach(async () => expect(await snapshotB()).toEqual(bSnapshot));

  const asA = () => ({ Authorization: a.auth });

  it('cannot read, change or delete another tenant’s user', async () => {
    expectError(await t.http.get(`/api/v1/users/${bUser.id}`).set(asA()), 404);
    expectError(await t.http.patch(`/api/v1/users/${bUser.id}`).set(asA()).send({ firstName: 'Hijacked' }), 404);
    expectError(await t.http.put(`/api/v1/users/${bUser.id}/billable`).set(asA()).send({ billable: true }), 404);
    expectError(await t.http.delete(`/api/v1/users/${bUser.id}`).set(asA()), 404);
    // The answer is the same as for an id that exists nowhere.
    const ghost = await t.http.get(`/api/v1/users/${randomUUID()}`).set(asA());
    const other = await t.http.get(`/api/v1/users/${bUser.id}`).set(asA());
    expect(other.body).toEqual(ghost.body);
  });

  it('lists only its own users, whatever the filters say', async () => {
    const everything = await t.http.get('/api/v1/users').query({ limit: 500 }).set(asA()).expect(200);
    expect(everything.body.items.map((u: { id: string }) => u.id)).toEqual([aUser.id]);
    expect(everything.body.total).toBe(1);
    expect((await t.http.get('/api/v1/users').query({ email: bUser.email }).set(asA()).expect(200)).body).toMatchObject({
      total: 0,
      items: [],
    });
    expect((await t.http.get('/api/v1/users').query({ search: bUser.email }).set(asA()).expect(200)).body).toMatchObject({
      total: 0,
      items: [],
    });
    expect((await t.http.get('/api/v1/users').query({ organizationId: bOrg.id }).set(asA()).expect(200)).body).toMatchObject({
      total: 0,
      items: [],
    });
    const named = await t.http.get('/api/v1/users').query({ tenantKey: b.key }).set(asA());
    expect(
      named.status === 403 || (named.status === 200 && named.body.items.every((u: { tenantKey: string }) => u.tenantKey === a.key)),
    ).toBe(true);
  });

  it('cannot create users in another tenant or into its organizations', async () => {
    expectError(await t.http.post('/api/v1/users').set(asA()).send({ email: 'intruder@example.com', tenantKey: b.key }), 403);
    expectError(
      await t.http.post('/api/v1/users').set(asA()).send({ email: 'intruder@example.com', organizationId: bOrg.id }),
      400,
      /organizationId/,
    );
    // Same email as B's user is fine: it is a different tenant's address book.
    const twin = await t.http.post('/api/v1/users').set(asA()).send({ email: bUser.email }).expect(201);
    expect(twin.body.tenantKey).toBe(a.key);
    await t.http.delete(`/api/v1/users/${twin.body.id}`).set(asA()).expect(204);
  });

  it('cannot read, change or delete another tenant’s organization', async () => {
    expectError(await t.http.get(`/api/v1/organizations/${bOrg.id}`).set(asA()), 404);
    expectError(await t.http.patch(`/api/v1/organizations/${bOrg.id}`).set(asA()).send({ name: 'Hijacked' }), 404);
    expectError(await t.http.delete(`/api/v1/organizations/${bOrg.id}`).set(asA()), 404);
    const list = await t.http.get('/api/v1/organizations').query({ limit: 500 }).set(asA()).expect(200);
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual([aOrg.id]);
    expect((await t.http.get('/api/v1/organizations').query({ search: bOrg.name }).set(asA()).expect(200)).body.total).toBe(0);
    expect(
      (await t.http.get('/api/v1/organizations').query({ externalUid: 'shared-uid' }).set(asA()).expect(200)).body.items.map(
        (o: { id: string }) => o.id,
      ),
    ).toEqual([aOrg.id]);
    expectError(await t.http.post('/api/v1/organizations').set(asA()).send({ name: 'Planted', tenantKey: b.key }), 403);
  });

  it('cannot see or change another tenant’s memberships', async () => {
    expectError(await t.http.get(`/api/v1/organizations/${bOrg.id}/members`).set(asA()), 404);
    expectError(await t.http.post(`/api/v1/organizations/${bOrg.id}/members`).set(asA()).send({ userId: aUser.id }), 404);
    expectError(await t.http.post(`/api/v1/organizations/${bOrg.id}/members`).set(asA()).send({ userId: bUser.id, role: 'member' }), 404);
    expectError(await t.http.put(`/api/v1/organizations/${bOrg.id}/members/${bUser.id}`).set(asA()).send({ role: 'member' }), 404);
    expectError(await t.http.put(`/api/v1/organizations/${bOrg.id}/members/${aUser.id}`).set(asA()).send({ role: 'owner' }), 404);
    expectError(await t.http.delete(`/api/v1/organizations/${bOrg.id}/members/${bUser.id}`).set(asA()), 404);
    // Nor pull B's user into its own organization.
    expectError(await t.http.post(`/api/v1/organizations/${aOrg.id}/members`).set(asA()).send({ userId: bUser.id }), 400, /userId/);
    expectError(await t.http.put(`/api/v1/organizations/${aOrg.id}/members/${bUser.id}`).set(asA()).send({ role: 'admin' }), 404);
    expectError(await t.http.delete(`/api/v1/organizations/${aOrg.id}/members/${bUser.id}`).set(asA()), 404);
    const own = await t.http.get(`/api/v1/organizations/${aOrg.id}/members`).set(asA()).expect(200);
    expect(own.body.items.map((m: { userId: string }) => m.userId)).toEqual([aUser.id]);
  });

  it('gets 403 on every platform-admin route, and 401 there with no or a wrong key', async () => {
    const adminRoutes: [string, string, object?][] = [
      ['get', '/api/v1/tenants'],
      ['post', '/api/v1/tenants', { key: 'sneaky', name: 'Sneaky' }],
      ['get', `/api/v1/tenants/${a.key}`],
      ['get', `/api/v1/tenants/${b.key}`],
      ['patch', `/api/v1/tenants/${a.key}`, { name: 'Renamed' }],
      ['patch', `/api/v1/tenants/${b.key}`, { status: 'suspended' }],
      ['delete', `/api/v1/tenants/${b.key}`],
      ['delete', `/api/v1/tenants/${a.key}`],
      ['get', `/api/v1/tenants/${a.key}/api-keys`],
      ['get', `/api/v1/tenants/${b.key}/api-keys`],
      ['post', `/api/v1/tenants/${a.key}/api-keys`, {}],
      ['post', `/api/v1/tenants/${b.key}/api-keys`, {}],
      ['delete', `/api/v1/tenants/${b.key}/api-keys/${b.keyId}`],
      ['delete', `/api/v1/tenants/${a.key}/api-keys/${a.keyId}`],
      ['get', '/api/v1/audit-events'],
      ['get', `/api/v1/audit-events?tenantKey=${b.key}`],
    ];
    for (const [method, path, body] of adminRoutes) {
      const call = () => {
        const req = (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path);
        return body ? req.send(body) : req;
      };
      const forbidden = await call().set(asA());
      expectError(forbidden, 403, /platform administrators/);
      const anonymous = await call();
      expectError(anonymous, 401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
      expectError(await call().set('Authorization', `Basic ${Buffer.from(`${a.keyId}:wrong`).toString('base64')}`), 401);
    }
    // Nothing happened: both tenants and both keys are intact.
    const tenants = await t.http.get('/api/v1/tenants').query({ limit: 500 }).set('Authorization', t.admin).expect(200);
    expect(
      tenants.body.items.filter((x: { key: string }) => [a.key, b.key].includes(x.key)).map((x: { status: string }) => x.status),
    ).toEqual(['active', 'active']);
    expect(tenants.body.items.some((x: { key: string }) => x.key === 'sneaky')).toBe(false);
    for (const fixture of [a, b]) {
      const keys = await t.http.get(`/api/v1/tenants/${fixture.key}/api-keys`).set('Authorization', t.admin).expect(200);
      expect(keys.body.items).toEqual([expect.objectContaining({ keyId: fixture.keyId, revokedAt: null })]);
    }
    await t.http.get('/api/v1/users').set(asA()).expect(200);
  });

  it('does not accept another tenant’s key id with its own secret', async () => {
    const mixed = `Basic ${Buffer.from(`${b.keyId}:${a.secret}`).toString('base64')}`;
    expectError(await t.http.get('/api/v1/users').set('Authorization', mixed), 401);
  });
});
