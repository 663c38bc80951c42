import { auditEvents, expectAudited, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { basic, startTestApp, TestApp } from '../support/test-app';

describe.each(databaseKinds())('tenants and API keys (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const admin = () => ({ Authorization: t.admin });

  it('creates, reads, lists, updates and deletes a tenant', async () => {
    const created = await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'acme-portal', name: ' Acme Portal ' }).expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      key: 'acme-portal',
      name: 'Acme Portal',
      status: 'active',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    await expectAudited(t, 'tenant.created', created.body.id, { key: 'acme-portal' });

    const got = await t.http.get('/api/v1/tenants/acme-portal').set(admin()).expect(200);
    expect(got.body).toMatchObject({ id: created.body.id, key: 'acme-portal', name: 'Acme Portal' });

    const list = await t.http.get('/api/v1/tenants').query({ search: 'ACME' }).set(admin()).expect(200);
    expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0, items: [{ key: 'acme-portal' }] });

    const renamed = await t.http.patch('/api/v1/tenants/acme-portal').set(admin()).send({ name: 'Acme Partner Portal' }).expect(200);
    expect(renamed.body).toMatchObject({ key: 'acme-portal', name: 'Acme Partner Portal', status: 'active' });
    await expectAudited(t, 'tenant.updated', created.body.id, { changed: ['name'] });

    await t.http.delete('/api/v1/tenants/acme-portal').set(admin()).expect(204);
    await expectAudited(t, 'tenant.deleted', created.body.id, { key: 'acme-portal' });
    expectError(await t.http.get('/api/v1/tenants/acme-portal').set(admin()), 404, /acme-portal/);
    expectError(await t.http.delete('/api/v1/tenants/acme-portal').set(admin()), 404);
    expectError(await t.http.patch('/api/v1/tenants/acme-portal').set(admin()).send({ name: 'x' }), 404);
  });

  it('lists tenants by key with pagination', async () => {
    for (const key of ['page-c', 'page-a', 'page-b'])
      await t.http.post('/api/v1/tenants').set(admin()).send({ key, name: key }).expect(201);
    const first = await t.http.get('/api/v1/tenants').query({ search: 'page-', limit: 2 }).set(admin()).expect(200);
    expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(first.body.items.map((x: { key: string }) => x.key)).toEqual(['page-a', 'page-b']);
    const second = await t.http.get('/api/v1/tenants').query({ search: 'page-', limit: 2, offset: 2 }).set(admin()).expect(200);
    expect(second.body.items.map((x: { key: string }) => x.key)).toEqual(['page-c']);
  });

  it('refuses a duplicate key with 409 and a malformed key with 400', async () => {
    await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'dup-portal', name: 'One' }).expect(201);
    expectError(await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'dup-portal', name: 'Two' }), 409, /dup-portal/);
    for (const key of ['Upper-Case', '-leading-dash', 'a', 'has space', 'x'.repeat(64), 'under_score']) {
      expectError(await t.http.post('/api/v1/tenants').set(admin()).send({ key, name: 'Bad' }), 400, /\bkey\b/);
    }
    expectError(await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'no-name' }), 400, /\bname\b/);
    expectError(await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'blank-name', name: '   ' }), 400, /\bname\b/);
    expectError(await t.http.patch('/api/v1/tenants/dup-portal').set(admin()).send({ name: ' \n ' }), 400, /\bname\b/);
    expectError(
      await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'bad-status', name: 'x', status: 'paused' }),
      400,
      /\bstatus\b/,
    );
    expectError(
      await t.http.post('/api/v1/tenants').set(admin()).send({ key: 'extra-field', name: 'x', id: 'mine' }),
      400,
      /property id should not exist/,
    );
    expectError(
      await t.http.patch('/api/v1/tenants/dup-portal').set(admin()).send({ key: 'renamed' }),
      400,
      /property key should not exist/,
    );
    expectError(await t.http.patch('/api/v1/tenants/dup-portal').set(admin()).send({ name: null }), 400, /\bname\b/);
    expectError(await t.http.patch('/api/v1/tenants/dup-portal').set(admin()).send({ status: null }), 400, /\bstatus\b/);
    expectError(await t.http.get('/api/v1/tenants').query({ limit: 501 }).set(admin()), 400, /\blimit\b/);
    expectError(await t.http.get('/api/v1/tenants').query({ offset: -1 }).set(admin()), 400, /\boffset\b/);
  });

  it('issues API keys whose secret is shown once and never listed', async () => {
    const tenant = await makeTenant(t);
    const created = await t.http.post(`/api/v1/tenants/${tenant.key}/api-keys`).set(admin()).send({ label: ' rotation ' }).expect(201);
    expect(created.body).toEqual({
      keyId: expect.stringMatching(/^tk_/),
      label: 'rotation',
      createdAt: expect.any(String),
      revokedAt: null,
      secret: expect.any(String),
    });
    expect(created.body.secret.length).toBeGreaterThanOrEqual(32);
    await expectAudited(t, 'tenant.api_key.created', created.body.keyId, { label: 'rotation' });

    const list = await t.http.get(`/api/v1/tenants/${tenant.key}/api-keys`).set(admin()).expect(200);
    expect(list.body).toEqual({ items: expect.any(Array), total: 2, limit: 50, offset: 0 });
    expect(list.body.items.map((k: { keyId: string }) => k.keyId).sort()).toEqual([tenant.keyId, created.body.keyId].sort());
    for (const k of list.body.items) expect(Object.keys(k).sort()).toEqual(['createdAt', 'keyId', 'label', 'revokedAt']);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    // A page at a time, like every list.
    const first = await t.http.get(`/api/v1/tenants/${tenant.key}/api-keys`).query({ limit: 1 }).set(admin()).expect(200);
    const second = await t.http.get(`/api/v1/tenants/${tenant.key}/api-keys`).query({ limit: 1, offset: 1 }).set(admin()).expect(200);
    expect([first.body.total, first.body.items.length, second.body.items.length]).toEqual([2, 1, 1]);
    expect(first.body.items[0].keyId).not.toBe(second.body.items[0].keyId);
    expectError(await t.http.get(`/api/v1/tenants/${tenant.key}/api-keys`).query({ limit: 0 }).set(admin()), 400, /\blimit\b/);

    // Both keys work at once (rotation).
    await t.http.get('/api/v1/users').set('Authorization', tenant.auth).expect(200);
    await t.http.get('/api/v1/users').set('Authorization', basic(created.body.keyId, created.body.secret)).expect(200);
    expectError(await t.http.get('/api/v1/users').set('Authorization', basic(created.body.keyId, `${created.body.secret}x`)), 401);
    expectError(await t.http.post('/api/v1/tenants/no-such-tenant/api-keys').set(admin()).send({}), 404);
    expectError(await t.http.get('/api/v1/tenants/no-such-tenant/api-keys').set(admin()), 404);
    expectError(await t.http.post(`/api/v1/tenants/${tenant.key}/api-keys`).set(admin()).send({ label: 7 }), 400, /\blabel\b/);
  });

  it('revokes a key: it answers 401 at once, the tenant’s other key keeps working', async () => {
    const tenant = await makeTenant(t);
    const spare = await t.http.post(`/api/v1/tenants/${tenant.key}/api-keys`).set(admin()).send({}).expect(201);
    await t.http.delete(`/api/v1/tenants/${tenant.key}/api-keys/${tenant.keyId}`).set(admin()).expect(204);
    await expectAudited(t, 'tenant.api_key.revoked', tenant.keyId);

    const refused = await t.http.get('/api/v1/users').set('Authorization', tenant.auth);
    expectError(refused, 401);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic/);
    expectError(await t.http.post('/api/v1/users').set('Authorization', tenant.auth).send({ email: 'late@example.com' }), 401);
    await t.http.get('/api/v1/users').set('Authorization', basic(spare.body.keyId, spare.body.secret)).expect(200);

    const listed = await t.http.get(`/api/v1/tenants/${tenant.key}/api-keys`).set(admin()).expect(200);
    expect(listed.body.items.find((k: { keyId: string }) => k.keyId === tenant.keyId).revokedAt).toEqual(expect.any(String));
    // Revoking again is harmless; an unknown key is not found.
    await t.http.delete(`/api/v1/tenants/${tenant.key}/api-keys/${tenant.keyId}`).set(admin()).expect(204);
    expectError(await t.http.delete(`/api/v1/tenants/${tenant.key}/api-keys/tk_unknown`).set(admin()), 404);
  });

  it('does not revoke another tenant’s key through this tenant’s path', async () => {
    const a = await makeTenant(t);
    const b = await makeTenant(t);
    expectError(await t.http.delete(`/api/v1/tenants/${a.key}/api-keys/${b.keyId}`).set(admin()), 404);
    await t.http.get('/api/v1/users').set('Authorization', b.auth).expect(200);
  });

  it('suspends a tenant: its key gets 403 until it is reactivated', async () => {
    const tenant = await makeTenant(t);
    const suspended = await t.http.patch(`/api/v1/tenants/${tenant.key}`).set(admin()).send({ status: 'suspended' }).expect(200);
    expect(suspended.body.status).toBe('suspended');
    await expectAudited(t, 'tenant.suspended', tenant.id);

    expectError(await t.http.get('/api/v1/users').set('Authorization', tenant.auth), 403, /suspended/);
    expectError(await t.http.post('/api/v1/organizations').set('Authorization', tenant.auth).send({ name: 'Blocked' }), 403);
    expectError(await t.http.get('/api/v1/tenants').set('Authorization', tenant.auth), 403);

    await t.http.patch(`/api/v1/tenants/${tenant.key}`).set(admin()).send({ status: 'active' }).expect(200);
    await expectAudited(t, 'tenant.reactivated', tenant.id);
    await t.http.get('/api/v1/users').set('Authorization', tenant.auth).expect(200);
  });

  it('deletes a tenant with everything it owned; its key stops working', async () => {
    const tenant = await makeTenant(t);
    const org = await makeOrganization(t, tenant.auth);
    const user = await makeUser(t, tenant.auth, { organizationId: org.id });
    await t.http.delete(`/api/v1/tenants/${tenant.key}`).set(admin()).expect(204);

    expectError(await t.http.get('/api/v1/users').set('Authorization', tenant.auth), 401);
    expectError(await t.http.get(`/api/v1/users/${user.id}`).set(admin()), 404);
    expectError(await t.http.get(`/api/v1/organizations/${org.id}`).set(admin()), 404);
    // The audit trail outlives the tenant.
    const events = await auditEvents(t, { tenantKey: tenant.key });
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['tenant.created', 'tenant.api_key.created', 'organization.created', 'user.created', 'tenant.deleted']),
    );
  });
});
