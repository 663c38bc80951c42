import { randomUUID } from 'node:crypto';
import { auditEvents, expectAudited, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const USER_FIELDS = [
  'authenticatorEnabled',
  'billable',
  'createdAt',
  'createdVia',
  'email',
  'emailVerified',
  'externalUid',
  'firstName',
  'id',
  'isPlatformAdmin',
  'lastName',
  'status',
  'tenantKey',
  'updatedAt',
  'username',
];

describe.each(databaseKinds())('users (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const as = () => ({ Authorization: tenant.auth });
  const emails = (res: { body: { items: { email: string }[] } }) => res.body.items.map((u) => u.email);

  it('creates a user with a password, never returning it, and audits it', async () => {
    const res = await t.http
      .post('/api/v1/users')
      .set(as())
      .send({ email: ' Ada@Example.com ', firstName: 'Ada', lastName: 'Lovelace', password: 'analytical engine', externalUid: 'u-1' })
      .expect(201);
    expect(Object.keys(res.body).sort()).toEqual(USER_FIELDS);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      tenantKey: tenant.key,
      email: 'Ada@Example.com',
      username: 'Ada@Example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      billable: false,
      status: 'active',
      externalUid: 'u-1',
      authenticatorEnabled: false,
      isPlatformAdmin: false,
      createdVia: 'api',
    });
    expect(res.text).not.toContain('analytical engine');
    expect(res.text).not.toMatch(/argon2/);
    const event = await expectAudited(t, 'user.created', res.body.id, { email: 'Ada@Example.com', via: 'api' });
    expect(event).toMatchObject({ tenantKey: tenant.key, actor: { kind: 'tenant', id: tenant.keyId } });
    expect(JSON.stringify(event)).not.toContain('analytical engine');

    const got = await t.http.get(`/api/v1/users/${res.body.id}`).set(as()).expect(200);
    expect(got.body).toEqual(res.body);
  });

  it('creates a user straight into an organization with a role', async () => {
    const org = await makeOrganization(t, tenant.auth);
    const res = await t.http
      .post('/api/v1/users')
      .set(as())
      .send({ email: 'owner@example.com', username: 'the-owner', organizationId: org.id, role: 'owner', billable: true })
      .expect(201);
    expect(res.body).toMatchObject({ username: 'the-owner', billable: true });
    const members = await t.http.get(`/api/v1/organizations/${org.id}/members`).set(as()).expect(200);
    expect(members.body.items).toEqual([expect.objectContaining({ userId: res.body.id, role: 'owner' })]);
    await expectAudited(t, 'membership.created', res.body.id, { organizationId: org.id, role: 'owner' });
    expectError(
      await t.http.post('/api/v1/users').set(as()).send({ email: 'role-only@example.com', role: 'admin' }),
      400,
      /organizationId/,
    );
    expectError(
      await t.http.post('/api/v1/users').set(as()).send({ email: 'ghost-org@example.com', organizationId: randomUUID() }),
      400,
      /organizationId/,
    );
  });

  it('updates a user and audits which fields changed', async () => {
    const user = await makeUser(t, tenant.auth, { firstName: 'Old' });
    const res = await t.http
      .patch(`/api/v1/users/${user.id}`)
      .set(as())
      .send({ firstName: 'New', status: 'disabled', email: 'renamed@example.com', password: 'a new long password' })
      .expect(200);
    expect(res.body).toMatchObject({ id: user.id, firstName: 'New', status: 'disabled', email: 'renamed@example.com' });
    const event = await expectAudited(t, 'user.updated', user.id);
    expect((event.details!.changed as string[]).sort()).toEqual(['email', 'firstName', 'password', 'status']);
    expect(JSON.stringify(event)).not.toContain('a new long password');
    expect((await t.http.get(`/api/v1/users/${user.id}`).set(as()).expect(200)).body).toMatchObject({
      firstName: 'New',
      status: 'disabled',
      email: 'renamed@example.com',
    });
    // Found by the new address, case-insensitively.
    expect(emails(await t.http.get('/api/v1/users').query({ email: 'RENAMED@example.com' }).set(as()).expect(200))).toEqual([
      'renamed@example.com',
    ]);
    expectError(await t.http.patch(`/api/v1/users/${randomUUID()}`).set(as()).send({ firstName: 'Nobody' }), 404, /User not found/);
  });

  it('deletes a user with its memberships, and audits it', async () => {
    const org1 = await makeOrganization(t, tenant.auth);
    const org2 = await makeOrganization(t, tenant.auth);
    const user = await makeUser(t, tenant.auth, { organizationId: org1.id });
    const stays = await makeUser(t, tenant.auth, { organizationId: org1.id });
    await t.http.post(`/api/v1/organizations/${org2.id}/members`).set(as()).send({ userId: user.id, role: 'admin' }).expect(201);

    await t.http.delete(`/api/v1/users/${user.id}`).set(as()).expect(204);
    await expectAudited(t, 'user.deleted', user.id, { email: user.email });
    expectError(await t.http.get(`/api/v1/users/${user.id}`).set(as()), 404);
    expectError(await t.http.delete(`/api/v1/users/${user.id}`).set(as()), 404);
    expectError(await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send({ billable: true }), 404);

    const m1 = await t.http.get(`/api/v1/organizations/${org1.id}/members`).set(as()).expect(200);
    expect(m1.body).toMatchObject({ total: 1, items: [{ userId: stays.id }] });
    expect((await t.http.get(`/api/v1/organizations/${org2.id}/members`).set(as()).expect(200)).body).toMatchObject({
      total: 0,
      items: [],
    });
    expect((await t.http.get('/api/v1/users').query({ organizationId: org2.id }).set(as()).expect(200)).body.total).toBe(0);
    expectError(await t.http.delete(`/api/v1/organizations/${org2.id}/members/${user.id}`).set(as()), 404);
  });

  it('round-trips the billable flag: set, read, filter, audit', async () => {
    const user = await makeUser(t, tenant.auth);
    const set = await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send({ billable: true }).expect(200);
    expect(set.body).toMatchObject({ id: user.id, billable: true });
    expect((await t.http.get(`/api/v1/users/${user.id}`).set(as()).expect(200)).body.billable).toBe(true);
    const billableIds = async (flag: string) =>
      (await t.http.get('/api/v1/users').query({ billable: flag, limit: 500 }).set(as()).expect(200)).body.items.map(
        (u: { id: string }) => u.id,
      );
    expect(await billableIds('true')).toContain(user.id);
    expect(await billableIds('false')).not.toContain(user.id);
    const on = await expectAudited(t, 'user.billable_changed', user.id, { billable: true });
    expect(on).toMatchObject({ tenantKey: tenant.key, actor: { kind: 'tenant' }, target: { type: 'user', id: user.id } });

    // Setting the same value again is accepted and records nothing new.
    await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send({ billable: true }).expect(200);
    const count = async () => (await auditEvents(t, { action: 'user.billable_changed' })).filter((e) => e.target.id === user.id).length;
    expect(await count()).toBe(1);

    const cleared = await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send({ billable: false }).expect(200);
    expect(cleared.body.billable).toBe(false);
    expect((await t.http.get(`/api/v1/users/${user.id}`).set(as()).expect(200)).body.billable).toBe(false);
    expect(await billableIds('true')).not.toContain(user.id);
    expect(await billableIds('false')).toContain(user.id);
    await expectAudited(t, 'user.billable_changed', user.id, { billable: false });
    expect(await count()).toBe(2);

    // PATCH changes it too, with the same audit event.
    await t.http.patch(`/api/v1/users/${user.id}`).set(as()).send({ billable: true }).expect(200);
    await expectAudited(t, 'user.billable_changed', user.id, { billable: true });
    expect(await count()).toBe(3);

    for (const body of [{}, { billable: 'true' }, { billable: 1 }, { billable: null }, { billable: true, extra: 1 }]) {
      expectError(await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send(body), 400, /billable|extra/);
    }
    expectError(await t.http.put('/api/v1/users/not-a-uuid/billable').set(as()).send({ billable: true }), 400, /id must be a UUID/);
    expectError(await t.http.put(`/api/v1/users/${randomUUID()}/billable`).set(as()).send({ billable: true }), 404);
  });

  describe('listing', () => {
    let own: TenantFixture;
    let org: { id: string };
    const names = ['carol', 'alice', 'erin', 'bob', 'dave'];
    beforeAll(async () => {
      own = await makeTenant(t);
      org = await makeOrganization(t, own.auth);
      for (const [i, name] of names.entries()) {
        await t.http
          .post('/api/v1/users')
          .set('Authorization', own.auth)
          .send({
            email: `${name}@list.example`,
            firstName: name === 'dave' ? 'Davide' : name,
            lastName: 'Lister',
            billable: i % 2 === 0,
            ...(i < 2 ? { organizationId: org.id } : {}),
          })
          .expect(201);
      }
    });
    const list = (query: Record<string, string | number>) =>
      t.http.get('/api/v1/users').query(query).set('Authorization', own.auth).expect(200);

    it('lists by email with total, limit and offset', async () => {
      const all = await list({});
      expect(all.body).toMatchObject({ total: 5, limit: 50, offset: 0 });
      expect(emails(all)).toEqual([...names].sort().map((n) => `${n}@list.example`));
      const pages = [await list({ limit: 2 }), await list({ limit: 2, offset: 2 }), await list({ limit: 2, offset: 4 })];
      expect(pages.map((p) => [p.body.limit, p.body.offset, p.body.total])).toEqual([
        [2, 0, 5],
        [2, 2, 5],
        [2, 4, 5],
      ]);
      expect(pages.flatMap(emails)).toEqual(emails(all));
      expect((await list({ offset: 10 })).body).toMatchObject({ items: [], total: 5, offset: 10 });
      expect((await list({ limit: 500 })).body.items).toHaveLength(5);
    });

    it('filters by email, search, organization and billable', async () => {
      expect(emails(await list({ email: 'ALICE@list.example' }))).toEqual(['alice@list.example']);
      expect(emails(await list({ email: 'alice' }))).toEqual([]);
      expect(emails(await list({ search: 'vid' }))).toEqual(['dave@list.example']);
      expect(emails(await list({ search: 'RIN' }))).toEqual(['erin@list.example']);
      expect((await list({ search: 'lister' })).body.total).toBe(5);
      // LIKE wildcards in the input are literal.
      expect((await list({ search: '%' })).body.total).toBe(0);
      expect((await list({ search: '_' })).body.total).toBe(0);
      expect(emails(await list({ organizationId: org.id }))).toEqual(['alice@list.example', 'carol@list.example']);
      expect(emails(await list({ organizationId: org.id, limit: 1, offset: 1 }))).toEqual(['carol@list.example']);
      expect(emails(await list({ billable: 'true' }))).toEqual(['carol@list.example', 'dave@list.example', 'erin@list.example']);
      expect(emails(await list({ billable: 'false' }))).toEqual(['alice@list.example', 'bob@list.example']);
      expect(emails(await list({ billable: 'true', organizationId: org.id }))).toEqual(['carol@list.example']);
    });

    it('lets a platform admin narrow by tenantKey', async () => {
      const res = await t.http.get('/api/v1/users').query({ tenantKey: own.key }).set('Authorization', t.admin).expect(200);
      expect(res.body.total).toBe(5);
      expect(new Set(res.body.items.map((u: { tenantKey: string }) => u.tenantKey))).toEqual(new Set([own.key]));
      expect(
        (await t.http.get('/api/v1/users').query({ tenantKey: 'no-such-tenant' }).set('Authorization', t.admin).expect(200)).body.total,
      ).toBe(0);
      // Without a filter the admin sees every tenant, and the platform admin account itself.
      const everyone = await t.http.get('/api/v1/users').query({ limit: 500 }).set('Authorization', t.admin).expect(200);
      expect(new Set(everyone.body.items.map((u: { tenantKey: string | null }) => u.tenantKey))).toEqual(
        new Set([own.key, tenant.key, null]),
      );
    });

    it('refuses bad query parameters with 400 naming them', async () => {
      const bad: [Record<string, string>, RegExp][] = [
        [{ limit: '501' }, /\blimit\b/],
        [{ limit: '0' }, /\blimit\b/],
        [{ limit: 'ten' }, /\blimit\b/],
        [{ limit: '1.5' }, /\blimit\b/],
        [{ offset: '-1' }, /\boffset\b/],
        [{ offset: 'x' }, /\boffset\b/],
        [{ billable: 'yes' }, /\bbillable\b/],
        [{ organizationId: 'org-1' }, /\borganizationId\b/],
        [{ search: '' }, /\bsearch\b/],
        [{ sort: 'email' }, /property sort should not exist/],
      ];
      for (const [query, message] of bad)
        expectError(await t.http.get('/api/v1/users').query(query).set('Authorization', own.auth), 400, message);
      expectError(await t.http.get('/api/v1/users?email=a@x.io&email=b@x.io').set('Authorization', own.auth), 400, /\bemail\b/);
    });
  });

  it('refuses duplicates within a tenant with 409, allows them across tenants', async () => {
    const first = await makeUser(t, tenant.auth, { email: 'Dup@Example.com', externalUid: 'dup-uid' });
    // The answer names what collided (the address is also the first user's username).
    expectError(
      await t.http.post('/api/v1/users').set(as()).send({ email: 'dup@example.COM' }),
      409,
      /^A user with this (email|username) already exists in this tenant$/,
    );
    expectError(
      await t.http.post('/api/v1/users').set(as()).send({ email: 'fresh@example.com', username: 'DUP@example.com' }),
      409,
      /^A user with this username already exists in this tenant$/,
    );
    expectError(
      await t.http.post('/api/v1/users').set(as()).send({ email: 'fresh2@example.com', externalUid: 'dup-uid' }),
      409,
      /^A user with this externalUid already exists in this tenant$/,
    );
    const second = await makeUser(t, tenant.auth, { email: 'second@example.com' });
    expectError(await t.http.patch(`/api/v1/users/${second.id}`).set(as()).send({ email: 'DUP@example.com' }), 409);
    expectError(await t.http.patch(`/api/v1/users/${second.id}`).set(as()).send({ externalUid: 'dup-uid' }), 409, /externalUid/);
    expect((await t.http.get(`/api/v1/users/${second.id}`).set(as()).expect(200)).body).toMatchObject({
      email: 'second@example.com',
      externalUid: null,
    });

    const other = await makeTenant(t);
    await t.http
      .post('/api/v1/users')
      .set('Authorization', other.auth)
      .send({ email: 'dup@example.com', externalUid: 'dup-uid' })
      .expect(201);
    // Direct users (no tenant) are unique among themselves.
    await t.http.post('/api/v1/users').set('Authorization', t.admin).send({ email: 'dup@example.com' }).expect(201);
    expectError(await t.http.post('/api/v1/users').set('Authorization', t.admin).send({ email: 'DUP@example.com' }), 409);
    await t.http
      .post('/api/v1/users')
      .set('Authorization', t.admin)
      .send({ email: 'direct-uid@example.com', externalUid: 'dup-uid' })
      .expect(201);
    expectError(
      await t.http.post('/api/v1/users').set('Authorization', t.admin).send({ email: 'direct-uid2@example.com', externalUid: 'dup-uid' }),
      409,
      /^A user with this externalUid already exists among users without a tenant$/,
    );
    await t.http.get(`/api/v1/users/${first.id}`).set(as()).expect(200);
  });

  it('lets a platform admin create a user in a tenant by key, and refuses an unknown key', async () => {
    const res = await t.http
      .post('/api/v1/users')
      .set('Authorization', t.admin)
      .send({ email: 'placed@example.com', tenantKey: tenant.key })
      .expect(201);
    expect(res.body.tenantKey).toBe(tenant.key);
    await t.http.get(`/api/v1/users/${res.body.id}`).set(as()).expect(200);
    const event = await expectAudited(t, 'user.created', res.body.id);
    expect(event).toMatchObject({ tenantKey: tenant.key, actor: { kind: 'platform-admin' } });
    expectError(
      await t.http.post('/api/v1/users').set('Authorization', t.admin).send({ email: 'lost@example.com', tenantKey: 'no-such-tenant' }),
      400,
      /tenantKey/,
    );
  });

  it('answers 400 naming the field for invalid bodies', async () => {
    const user = await makeUser(t, tenant.auth);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /\bemail\b/],
      [{ email: 'not-an-email' }, /\bemail\b/],
      [{ email: 42 }, /\bemail\b/],
      [{ email: ['a@example.com'] }, /\bemail\b/],
      [{ email: 'short@example.com', password: 'short' }, /\bpassword\b.*\b8\b/],
      [{ email: 'long@example.com', password: 'x'.repeat(257) }, /\bpassword\b.*\b256\b/],
      [{ email: 'type@example.com', password: 12345678 }, /\bpassword\b/],
      [{ email: 'bill@example.com', billable: 'yes' }, /\bbillable\b/],
      [{ email: 'stat@example.com', status: 'gone' }, /\bstatus\b/],
      [{ email: 'name@example.com', firstName: 'x'.repeat(101) }, /\bfirstName\b/],
      [{ email: 'name2@example.com', lastName: { x: 1 } }, /\blastName\b/],
      [{ email: 'role@example.com', organizationId: 'nope' }, /\borganizationId\b/],
      [{ email: 'hash@example.com', passwordHash: 'x' }, /property passwordHash should not exist/],
    ];
    for (const [body, message] of bad) expectError(await t.http.post('/api/v1/users').set(as()).send(body), 400, message);
    // A tenant key may not make a platform administrator: refused in words, not as an unknown field.
    expectError(
      await t.http.post('/api/v1/users').set(as()).send({ email: 'admin@example.com', isPlatformAdmin: true }),
      403,
      /^Only a platform administrator may create platform administrators/,
    );
    const badPatch: [Record<string, unknown>, RegExp][] = [
      [{ email: null }, /\bemail\b/],
      [{ email: 'nope' }, /\bemail\b/],
      [{ username: null }, /\busername\b/],
      [{ username: '' }, /\busername\b/],
      [{ firstName: null }, /\bfirstName\b/],
      [{ lastName: null }, /\blastName\b/],
      [{ password: null }, /\bpassword\b/],
      [{ billable: null }, /\bbillable\b/],
      [{ status: null }, /\bstatus\b/],
      [{ tenantKey: 'elsewhere' }, /property tenantKey should not exist/],
      [{ id: randomUUID() }, /property id should not exist/],
    ];
    for (const [body, message] of badPatch) expectError(await t.http.patch(`/api/v1/users/${user.id}`).set(as()).send(body), 400, message);
    expect((await t.http.get(`/api/v1/users/${user.id}`).set(as()).expect(200)).body).toMatchObject({
      email: user.email,
      firstName: 'Test',
      billable: false,
      status: 'active',
    });
  });

  it('clears externalUid with null on PATCH', async () => {
    const user = await makeUser(t, tenant.auth, { externalUid: 'to-clear' });
    const res = await t.http.patch(`/api/v1/users/${user.id}`).set(as()).send({ externalUid: null }).expect(200);
    expect(res.body.externalUid).toBeNull();
  });

  it('will not delete or disable the last platform administrator', async () => {
    const admins = await t.http.get('/api/v1/users').query({ limit: 500 }).set('Authorization', t.admin).expect(200);
    const adminUser = admins.body.items.find((u: { isPlatformAdmin: boolean }) => u.isPlatformAdmin);
    expect(adminUser).toBeDefined();
    expectError(
      await t.http.delete(`/api/v1/users/${adminUser.id}`).set('Authorization', t.admin),
      409,
      /last active platform administrator/,
    );
    expectError(await t.http.patch(`/api/v1/users/${adminUser.id}`).set('Authorization', t.admin).send({ status: 'disabled' }), 409);
    // A tenant key cannot even see it.
    expectError(await t.http.get(`/api/v1/users/${adminUser.id}`).set(as()), 404);
  });
});
