import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, decode, realProblems, WebSession } from '../support/web-session';

/** /api/v1/identity-links and the tenant console tab: a tenant's own ids for Portico's records. */
describe.each(databaseKinds())('identity links (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let other: TenantFixture;
  let user: { id: string; email: string };
  let org: { id: string; name: string };
  let theirUser: { id: string; email: string };

  const api = (method: 'get' | 'post' | 'delete', path: string, auth: string) => t.http[method](path).set('Authorization', auth);
  const create = (body: Record<string, unknown>, auth = tenant.auth) => api('post', '/api/v1/identity-links', auth).send(body);

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    other = await makeTenant(t);
    user = await makeUser(t, tenant.auth);
    org = await makeOrganization(t, tenant.auth);
    theirUser = await makeUser(t, other.auth);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  describe('the API', () => {
    it('creates a link for a record of the tenant and lists it back', async () => {
      const res = await create({ provider: 'crm', entityType: 'user', localId: user.id, foreignId: 'CRM-0001' }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        tenantKey: tenant.key,
        provider: 'crm',
        entityType: 'user',
        localId: user.id,
        foreignId: 'CRM-0001',
        createdAt: expect.any(String),
      });
      const list = await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'crm' }).expect(200);
      expect(list.body).toMatchObject({ items: [{ id: res.body.id }], total: 1, limit: 50, offset: 0 });
      const audit = await api('get', '/api/v1/audit-events', t.admin).query({ action: 'identity_link.created' }).expect(200);
      expect(audit.body.items[0]).toMatchObject({ tenantKey: tenant.key, details: { provider: 'crm', foreignId: 'CRM-0001' } });
    });

    it('filters by provider, entity type, local and foreign id, and pages', async () => {
      for (let i = 0; i < 5; i++) {
        const o = await makeOrganization(t, tenant.auth);
        await create({ provider: 'erp', entityType: 'organization', localId: o.id, foreignId: `ERP-${i}` }).expect(201);
      }
      await create({ provider: 'erp', entityType: 'user', localId: user.id, foreignId: 'ERP-U' }).expect(201);
      const orgs = await api('get', '/api/v1/identity-links', tenant.auth)
        .query({ provider: 'erp', entityType: 'organization', limit: 2 })
        .expect(200);
      expect(orgs.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
      expect(orgs.body.items.map((l: { foreignId: string }) => l.foreignId)).toEqual(['ERP-0', 'ERP-1']);
      const next = await api('get', '/api/v1/identity-links', tenant.auth).query({
        provider: 'erp',
        entityType: 'organization',
        limit: 2,
        offset: 4,
      });
      expect(next.body.items.map((l: { foreignId: string }) => l.foreignId)).toEqual(['ERP-4']);
      const byLocal = await api('get', '/api/v1/identity-links', tenant.auth).query({ localId: user.id.toUpperCase() }).expect(200);
      expect(byLocal.body.items.map((l: { foreignId: string }) => l.foreignId).sort()).toEqual(['CRM-0001', 'ERP-U']);
      const byForeign = await api('get', '/api/v1/identity-links', tenant.auth).query({ foreignId: 'ERP-3' }).expect(200);
      expect(byForeign.body.total).toBe(1);
      expectError(await api('get', '/api/v1/identity-links', tenant.auth).query({ entityType: 'invoice' }), 400, /entityType/);
      expectError(await api('get', '/api/v1/identity-links', tenant.auth).query({ limit: 501 }), 400, /limit/);
    });

    it('refuses a localId that is not a record of the tenant, and bad fields, naming them', async () => {
      expectError(await create({ provider: 'crm', entityType: 'user', localId: theirUser.id, foreignId: 'X' }), 400, /localId/);
      expectError(await create({ provider: 'crm', entityType: 'organization', localId: user.id, foreignId: 'X' }), 400, /localId/);
      expectError(
        await create({ provider: 'crm', entityType: 'user', localId: '00000000-0000-4000-8000-000000000000', foreignId: 'X' }),
        400,
        /localId/,
      );
      expectError(
        await create({ provider: 'crm', entityType: 'user', localId: 'not-a-uuid', foreignId: 'X' }),
        400,
        /localId must be a UUID/,
      );
      expectError(await create({ provider: 'Not Valid!', entityType: 'user', localId: user.id, foreignId: 'X' }), 400, /provider/);
      expectError(await create({ provider: 'crm', entityType: 'invoice', localId: user.id, foreignId: 'X' }), 400, /entityType/);
      expectError(await create({ provider: 'crm', entityType: 'user', localId: user.id, foreignId: '' }), 400, /foreignId/);
      expectError(await create({ provider: 'crm', entityType: 'user', localId: user.id }), 400, /foreignId/);
      expectError(await create({ provider: 'crm', entityType: 'user', localId: user.id, foreignId: 'X', tenantKey: other.key }), 403);
    });

    it('keeps both directions unique: 409 for a foreign id already used, or a record already linked', async () => {
      const u2 = await makeUser(t, tenant.auth);
      await create({ provider: 'hr', entityType: 'user', localId: user.id, foreignId: 'HR-1' }).expect(201);
      expectError(await create({ provider: 'hr', entityType: 'user', localId: user.id, foreignId: 'HR-1' }), 409);
      expectError(await create({ provider: 'hr', entityType: 'user', localId: u2.id, foreignId: 'HR-1' }), 409, /already linked/);
      expectError(await create({ provider: 'hr', entityType: 'user', localId: user.id, foreignId: 'HR-2' }), 409);
      // Same foreign id for another provider, type or tenant is another link.
      await create({ provider: 'hr2', entityType: 'user', localId: user.id, foreignId: 'HR-1' }).expect(201);
      await create({ provider: 'hr', entityType: 'organization', localId: org.id, foreignId: 'HR-1' }).expect(201);
      await create({ provider: 'hr', entityType: 'user', localId: theirUser.id, foreignId: 'HR-1' }, other.auth).expect(201);
    });

    it("deletes a link by id or by its key, and never another tenant's", async () => {
      const a = await create({ provider: 'del', entityType: 'user', localId: user.id, foreignId: 'D-1' }).expect(201);
      const theirs = await create({ provider: 'del', entityType: 'user', localId: theirUser.id, foreignId: 'D-1' }, other.auth).expect(201);
      expectError(await api('delete', `/api/v1/identity-links/${theirs.body.id}`, tenant.auth), 404);
      await api('delete', `/api/v1/identity-links/${a.body.id}`, tenant.auth).expect(204);
      expectError(await api('delete', `/api/v1/identity-links/${a.body.id}`, tenant.auth), 404);
      expectError(await api('delete', '/api/v1/identity-links/not-a-uuid', tenant.auth), 400, /id must be a UUID/);

      await create({ provider: 'del', entityType: 'organization', localId: org.id, foreignId: 'D-2' }).expect(201);
      await api('delete', '/api/v1/identity-links', tenant.auth)
        .query({ provider: 'del', entityType: 'organization', foreignId: 'D-2' })
        .expect(204);
      expectError(
        await api('delete', '/api/v1/identity-links', tenant.auth).query({ provider: 'del', entityType: 'organization', foreignId: 'D-2' }),
        404,
      );
      expectError(await api('delete', '/api/v1/identity-links', tenant.auth).query({ provider: 'del' }), 400, /entityType/);
      // The other tenant's link with the same key is still there.
      const still = await api('get', '/api/v1/identity-links', other.auth).query({ provider: 'del' }).expect(200);
      expect(still.body.total).toBe(1);
    });

    it("shows a tenant only its own links; a platform admin sees all, or one tenant's", async () => {
      const mine = await api('get', '/api/v1/identity-links', tenant.auth).expect(200);
      expect(mine.body.items.every((l: { tenantKey: string }) => l.tenantKey === tenant.key)).toBe(true);
      expectError(await api('get', '/api/v1/identity-links', tenant.auth).query({ tenantKey: other.key }), 403);
      const all = await api('get', '/api/v1/identity-links', t.admin).query({ limit: 500 }).expect(200);
      expect(new Set(all.body.items.map((l: { tenantKey: string }) => l.tenantKey))).toEqual(new Set([tenant.key, other.key]));
      const theirs = await api('get', '/api/v1/identity-links', t.admin).query({ tenantKey: other.key }).expect(200);
      expect(theirs.body.items.every((l: { tenantKey: string }) => l.tenantKey === other.key)).toBe(true);
      expect((await api('get', '/api/v1/identity-links', t.admin).query({ tenantKey: 'no-such' }).expect(200)).body.total).toBe(0);
    });

    it('lets a platform admin create a link in a named tenant, and requires the tenant', async () => {
      expectError(await create({ provider: 'adm', entityType: 'user', localId: user.id, foreignId: 'A-1' }, t.admin), 400, /tenantKey/);
      expectError(
        await create({ provider: 'adm', entityType: 'user', localId: user.id, foreignId: 'A-1', tenantKey: other.key }, t.admin),
        400,
        /localId/,
      );
      const res = await create(
        { provider: 'adm', entityType: 'user', localId: user.id, foreignId: 'A-1', tenantKey: tenant.key },
        t.admin,
      ).expect(201);
      expect(res.body.tenantKey).toBe(tenant.key);
    });

    it('forgets the links of a user or organization deleted through the API', async () => {
      const doomedUser = await makeUser(t, tenant.auth);
      const doomedOrg = await makeOrganization(t, tenant.auth);
      await create({ provider: 'ledger', entityType: 'user', localId: doomedUser.id, foreignId: 'L-U-1' }).expect(201);
      await create({ provider: 'ledger', entityType: 'organization', localId: doomedOrg.id, foreignId: 'L-G-1' }).expect(201);
      await api('delete', `/api/v1/users/${doomedUser.id}`, tenant.auth).expect(204);
      await api('delete', `/api/v1/organizations/${doomedOrg.id}`, tenant.auth).expect(204);
      // The links go through the outbox (committed with the deletion), so they disappear shortly after.
      let left = -1;
      for (let i = 0; i < 100 && left !== 0; i++) {
        if (i) await new Promise((r) => setTimeout(r, 100));
        left = (await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'ledger' }).expect(200)).body.total;
      }
      expect(left).toBe(0);
      // The foreign ids are free again.
      await create({ provider: 'ledger', entityType: 'user', localId: user.id, foreignId: 'L-U-1' }).expect(201);
    });

    it('answers 401 without credentials', async () => {
      expectError(await t.http.get('/api/v1/identity-links'), 401);
      expectError(await t.http.post('/api/v1/identity-links').send({}), 401);
    });
  });

  describe('POST /api/auth/register with foreign uids', () => {
    it("records the portal's userUid and groupUid with a tenant key", async () => {
      const res = await t.http
        .post('/api/auth/register')
        .set('Authorization', tenant.auth)
        .send({
          email: `reg-${kind}@uid.example`,
          firstName: 'Reg',
          lastName: 'Ister',
          organizationName: `Registered ${kind}`,
          password: 'Quartz-Lantern-77-fjord',
          userUid: 'reg-user-1',
          groupUid: 'reg-group-1',
        })
        .expect(201);
      const links = await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'portal' }).expect(200);
      expect(links.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ entityType: 'user', localId: res.body.userId, foreignId: 'reg-user-1' }),
          expect.objectContaining({ entityType: 'organization', localId: res.body.organizationId, foreignId: 'reg-group-1' }),
        ]),
      );
      const orgView = await api('get', `/api/v1/organizations/${res.body.organizationId}`, tenant.auth).expect(200);
      expect(orgView.body.externalUid).toBe('reg-group-1');
      // The account webhooks now find them by these uids.
      await t.http.delete(`/t/${tenant.key}/account/groups/reg-group-1/users/reg-user-1`).set('Authorization', tenant.auth).expect(200);
      expect((await api('get', `/api/v1/organizations/${res.body.organizationId}/members`, tenant.auth)).body.total).toBe(0);

      const again = await t.http
        .post('/api/auth/register')
        .set('Authorization', tenant.auth)
        .send({
          email: `reg2-${kind}@uid.example`,
          firstName: 'Reg',
          lastName: 'Two',
          organizationName: `Registered two ${kind}`,
          password: 'Quartz-Lantern-77-fjord',
          groupUid: 'reg-group-1',
        });
      expectError(again, 409, /groupUid/);
    });

    it('refuses foreign uids without a tenant key', async () => {
      await t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ signupEnabled: true }).expect(200);
      const res = await t.http.post('/api/auth/register').send({
        email: `anon-${kind}@uid.example`,
        firstName: 'An',
        lastName: 'On',
        organizationName: `Anon ${kind}`,
        password: 'Quartz-Lantern-77-fjord',
        userUid: 'sneaky',
      });
      expectError(res, 400, /tenant/);
      await t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ signupEnabled: false }).expect(200);
    });
  });

  describe('the console tab', () => {
    let admin: WebSession;
    const tab = () => `/console/tenants/${tenant.key}/identity-links`;

    beforeAll(async () => {
      admin = new WebSession(t);
      const signedIn = await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(signedIn.headers.location).toBe('/console');
    });

    it('lists the links with what their records are, among the tenant tabs', async () => {
      const page = await admin.get(tab());
      expect(page.status).toBe(200);
      expect(page.text).toMatch(
        /<a href="\/console\/tenants\/[^"]+\/identity-links" class="active" aria-current="page">Identity links<\/a>/,
      );
      expect(page.text).toContain('CRM-0001');
      expect(decode(page.text)).toContain(user.email);
      expect(page.text).not.toContain(`>${theirUser.id}<`);
      const filtered = await admin.get(`${tab()}?provider=erp&entityType=organization`);
      expect((filtered.text.match(/data-testid="identity-link-row"/g) ?? []).length).toBe(5);
      expect(filtered.text).not.toContain('CRM-0001');
    });

    it('adds a link from the form, naming the record by email, name or site ID, and shows why one is refused', async () => {
      const page = await admin.get(tab());
      expect(decode(page.text)).toContain('User or organization <input type="text" name="record"');
      const added = await admin.postRaw(tab(), {
        _csrf: csrfOf(page.text),
        provider: 'console',
        entityType: 'organization',
        record: org.name,
        foreignId: 'from the console',
      });
      expect(added.status).toBe(303);
      const after = await admin.get(tab());
      expect(decode(after.text)).toContain('Linked console id “from the console” to the organization.');
      expect(after.text).toContain('from the console');
      const byEmail = await admin.postRaw(tab(), {
        _csrf: csrfOf(after.text),
        provider: 'console',
        entityType: 'user',
        record: user.email.toUpperCase(),
        foreignId: 'U-1',
      });
      expect(byEmail.status).toBe(303);
      const links = (await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'console' }).expect(200)).body.items;
      expect(links.map((l: { entityType: string; localId: string }) => [l.entityType, l.localId]).sort()).toEqual([
        ['organization', org.id],
        ['user', user.id],
      ]);
      await api(
        'delete',
        `/api/v1/identity-links/${links.find((l: { entityType: string }) => l.entityType === 'user').id}`,
        tenant.auth,
      ).expect(204);

      // Another tenant's user by email, an organization nobody has: refused in words, nothing linked.
      for (const [entityType, record, message] of [
        ['user', theirUser.email, `No user of tenant ${tenant.key} has the email ${theirUser.email}.`],
        ['organization', 'Nobody Inc', `No organization is named “Nobody Inc” in tenant ${tenant.key}.`],
      ]) {
        const refused = await admin.postRaw(tab(), {
          _csrf: csrfOf(after.text),
          provider: 'console',
          entityType,
          record,
          foreignId: 'nope',
        });
        expect(refused.status).toBe(400);
        expect(alertOf(refused.text)).toContain(message);
        expect(decode(refused.text)).toContain(`value="${record}"`);
      }
      const missingToken = await admin.postRaw(tab(), { provider: 'console', entityType: 'user', record: user.email, foreignId: 'x' });
      expect(missingToken.status).toBe(403);
    });

    it('deletes a link', async () => {
      const link = (await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'console' }).expect(200)).body.items[0];
      // The row's Delete opens a confirmation that names the link and deletes nothing.
      const page = await admin.get(`${tab()}/${link.id}/delete`);
      expect(decode(page.text)).toContain(`Delete the link of console id “${link.foreignId}”?`);
      expect((await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'console' })).body.total).toBe(1);
      const res = await admin.postRaw(`${tab()}/${link.id}/delete`, { _csrf: csrfOf(page.text) });
      expect(res.status).toBe(303);
      expect((await api('get', '/api/v1/identity-links', tenant.auth).query({ provider: 'console' })).body.total).toBe(0);
      // A link of another tenant cannot be deleted through this tenant's page.
      const theirs = (await api('get', '/api/v1/identity-links', other.auth).expect(200)).body.items[0];
      const wrong = await admin.postRaw(`${tab()}/${theirs.id}/delete`, { _csrf: csrfOf((await admin.get(tab())).text) });
      expect(wrong.status).toBe(404);
      expect((await admin.get(`${tab()}/${theirs.id}/delete`)).status).toBe(404);
    });

    it('answers 404 for an unknown tenant and sends strangers to the console login', async () => {
      expect((await admin.get('/console/tenants/no-such-tenant/identity-links')).status).toBe(404);
      const stranger = await new WebSession(t).get(tab());
      expect(stranger.status).toBe(303);
      expect(stranger.headers.location).toMatch(/^\/console\/login/);
    });
  });
});
