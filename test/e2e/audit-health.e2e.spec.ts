import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe.each(databaseKinds())('audit log and health (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const audit = (query: Record<string, string | number> = {}) =>
    t.http.get('/api/v1/audit-events').query(query).set('Authorization', t.admin).expect(200);

  it('answers liveness and readiness without credentials', async () => {
    const live = await t.http.get('/health').expect(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', database: 'up' });
    expect(ready.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('records every write of a session of work, newest first, and filters by tenant, action and time', async () => {
    const started = new Date(Date.now() - 1000).toISOString();
    const tenant = await makeTenant(t);
    const other = await makeTenant(t);
    const org = await makeOrganization(t, tenant.auth);
    const user = await makeUser(t, tenant.auth, { organizationId: org.id });
    await t.http.put(`/api/v1/users/${user.id}/billable`).set('Authorization', tenant.auth).send({ billable: true }).expect(200);
    await t.http.patch(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).send({ lastName: 'Changed' }).expect(200);
    await t.http
      .put(`/api/v1/organizations/${org.id}/members/${user.id}`)
      .set('Authorization', tenant.auth)
      .send({ role: 'admin' })
      .expect(200);
    await t.http.patch(`/api/v1/organizations/${org.id}`).set('Authorization', tenant.auth).send({ name: 'Renamed Org' }).expect(200);
    await t.http.delete(`/api/v1/organizations/${org.id}/members/${user.id}`).set('Authorization', tenant.auth).expect(204);
    await t.http.delete(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(204);
    await t.http.delete(`/api/v1/organizations/${org.id}`).set('Authorization', tenant.auth).expect(204);

    const res = await audit({ tenantKey: tenant.key });
    expect(res.body).toMatchObject({ limit: 50, offset: 0 });
    const actions = res.body.items.map((e: { action: string }) => e.action);
    // Events of one transaction may share a millisecond, so only their set is fixed; each request's come after the last one's.
    expect(actions[0]).toBe('organization.deleted');
    expect(actions[actions.length - 1]).toBe('tenant.created');
    expect([...actions].sort()).toEqual(
      [
        'organization.deleted',
        'user.deleted',
        'membership.deleted',
        'organization.updated',
        'membership.updated',
        'user.updated',
        'user.billable_changed',
        'membership.created',
        'user.created',
        'organization.created',
        'tenant.api_key.created',
        'tenant.created',
      ].sort(),
    );
    expect(res.body.total).toBe(actions.length);
    const times = res.body.items.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    const [first] = res.body.items;
    expect(first).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor: { kind: 'tenant', id: tenant.keyId, label: expect.stringContaining(tenant.key) },
      tenantKey: tenant.key,
      action: 'organization.deleted',
      target: { type: 'organization', id: org.id },
      ip: expect.any(String),
      details: expect.objectContaining({ name: 'Renamed Org' }),
    });
    const created = res.body.items.find((e: { action: string }) => e.action === 'tenant.created');
    expect(created.actor).toMatchObject({ kind: 'platform-admin' });

    // Other tenants' events stay out of a tenant filter.
    expect((await audit({ tenantKey: other.key })).body.items.map((e: { action: string }) => e.action)).toEqual([
      'tenant.api_key.created',
      'tenant.created',
    ]);
    expect((await audit({ tenantKey: 'nobody-here' })).body).toMatchObject({ total: 0, items: [] });

    const byAction = await audit({ action: 'user.billable_changed', tenantKey: tenant.key });
    expect(byAction.body.items).toEqual([
      expect.objectContaining({ action: 'user.billable_changed', target: { type: 'user', id: user.id }, details: { billable: true } }),
    ]);

    expect((await audit({ since: started, tenantKey: tenant.key })).body.total).toBe(actions.length);
    expect((await audit({ since: new Date(Date.now() + 60_000).toISOString() })).body).toMatchObject({ total: 0, items: [] });
    const lastAt = res.body.items[0].at;
    const fromLast = await audit({ since: lastAt, tenantKey: tenant.key });
    expect(fromLast.body.items.map((e: { id: string }) => e.id)).toContain(res.body.items[0].id);
    expect(fromLast.body.items.every((e: { at: string }) => Date.parse(e.at) >= Date.parse(lastAt))).toBe(true);

    const page = await audit({ tenantKey: tenant.key, limit: 3, offset: 3 });
    expect(page.body).toMatchObject({ limit: 3, offset: 3, total: actions.length });
    expect(page.body.items.map((e: { action: string }) => e.action)).toEqual(actions.slice(3, 6));
  });

  it('refuses bad filters with 400 naming them', async () => {
    expectError(await t.http.get('/api/v1/audit-events').query({ since: 'yesterday' }).set('Authorization', t.admin), 400, /\bsince\b/);
    expectError(await t.http.get('/api/v1/audit-events').query({ action: '' }).set('Authorization', t.admin), 400, /\baction\b/);
    expectError(
      await t.http
        .get('/api/v1/audit-events')
        .query({ tenantKey: 'x'.repeat(65) })
        .set('Authorization', t.admin),
      400,
      /\btenantKey\b/,
    );
    expectError(await t.http.get('/api/v1/audit-events').query({ actor: 'me' }).set('Authorization', t.admin), 400, /\bactor\b/);
  });

  it('is for platform administrators only', async () => {
    const tenant = await makeTenant(t);
    expectError(await t.http.get('/api/v1/audit-events').set('Authorization', tenant.auth), 403);
    expectError(await t.http.get('/api/v1/audit-events').query({ tenantKey: tenant.key }).set('Authorization', tenant.auth), 403);
    const anonymous = await t.http.get('/api/v1/audit-events');
    expectError(anonymous, 401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});
