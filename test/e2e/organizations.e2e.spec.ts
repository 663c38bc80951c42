import { randomUUID } from 'node:crypto';
import { auditEvents, expectAudited, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe.each(databaseKinds())('organizations and members (%s)', (kind) => {
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
  const memberIds = async (orgId: string) =>
    (await t.http.get(`/api/v1/organizations/${orgId}/members`).set(as()).expect(200)).body.items
      .map((m: { userId: string }) => m.userId)
      .sort();

  describe('organizations', () => {
    it('creates, reads, updates and deletes an organization', async () => {
      const created = await t.http
        .post('/api/v1/organizations')
        .set(as())
        .send({ name: ' Acme Corp ', externalUid: 'grp-1', plan: { priceCents: 4900, currency: 'EUR' } })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        siteId: expect.any(Number),
        name: 'Acme Corp',
        tenantKey: tenant.key,
        externalUid: 'grp-1',
        authMode: 'portico',
        externalLoginProviderId: null,
        plan: { priceCents: 4900, currency: 'EUR' },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const id = created.body.id;
      await expectAudited(t, 'organization.created', id, { name: 'Acme Corp', siteId: created.body.siteId });

      expect((await t.http.get(`/api/v1/organizations/${id}`).set(as()).expect(200)).body).toEqual(created.body);

      const updated = await t.http
        .patch(`/api/v1/organizations/${id}`)
        .set(as())
        .send({ name: 'Acme Corporation', plan: null, externalUid: null })
        .expect(200);
      expect(updated.body).toMatchObject({ id, siteId: created.body.siteId, name: 'Acme Corporation', plan: null, externalUid: null });
      const event = await expectAudited(t, 'organization.updated', id);
      expect((event.details!.changed as string[]).sort()).toEqual(['externalUid', 'name', 'planCurrency', 'planPriceCents']);
      expect((await t.http.get(`/api/v1/organizations/${id}`).set(as()).expect(200)).body).toMatchObject({
        name: 'Acme Corporation',
        plan: null,
      });

      await t.http
        .patch(`/api/v1/organizations/${id}`)
        .set(as())
        .send({ plan: { priceCents: 0, currency: 'USD' } })
        .expect(200);
      expect((await t.http.get(`/api/v1/organizations/${id}`).set(as()).expect(200)).body.plan).toEqual({ priceCents: 0, currency: 'USD' });

      await t.http.delete(`/api/v1/organizations/${id}`).set(as()).expect(204);
      await expectAudited(t, 'organization.deleted', id, { name: 'Acme Corporation' });
      expectError(await t.http.get(`/api/v1/organizations/${id}`).set(as()), 404, /Organization not found/);
      expectError(await t.http.patch(`/api/v1/organizations/${id}`).set(as()).send({ name: 'Again' }), 404);
      expectError(await t.http.delete(`/api/v1/organizations/${id}`).set(as()), 404);
    });

    it('assigns siteIds itself: unique and increasing', async () => {
      const other = await makeTenant(t);
      const sites: number[] = [];
      for (let i = 0; i < 3; i++) sites.push((await makeOrganization(t, tenant.auth)).siteId);
      sites.push((await makeOrganization(t, other.auth)).siteId);
      sites.push(
        (
          await t.http
            .post('/api/v1/organizations')
            .set('Authorization', t.admin)
            .send({ name: `Direct ${randomUUID()}` })
            .expect(201)
        ).body.siteId,
      );
      for (const site of sites) expect(Number.isInteger(site) && site > 0).toBe(true);
      for (let i = 1; i < sites.length; i++) expect(sites[i]).toBeGreaterThan(sites[i - 1]);
      // A caller cannot choose one.
      expectError(
        await t.http.post('/api/v1/organizations').set(as()).send({ name: 'Chosen site', siteId: 7 }),
        400,
        /property siteId should not exist/,
      );
      expectError(await t.http.patch(`/api/v1/organizations/${randomUUID()}`).set(as()).send({ siteId: 7 }), 400, /siteId/);
    });

    it('lists the caller’s organizations by name, with search, externalUid and pagination', async () => {
      const own = await makeTenant(t);
      const auth = { Authorization: own.auth };
      for (const name of ['Gamma', 'Alpha', 'Beta'])
        await t.http
          .post('/api/v1/organizations')
          .set(auth)
          .send({ name, externalUid: `uid-${name}` })
          .expect(201);
      const all = await t.http.get('/api/v1/organizations').set(auth).expect(200);
      expect(all.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(all.body.items.map((o: { name: string }) => o.name)).toEqual(['Alpha', 'Beta', 'Gamma']);
      const page = await t.http.get('/api/v1/organizations').query({ limit: 1, offset: 1 }).set(auth).expect(200);
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ name: all.body.items[1].name }] });
      expect(
        (await t.http.get('/api/v1/organizations').query({ search: 'AMM' }).set(auth).expect(200)).body.items.map(
          (o: { name: string }) => o.name,
        ),
      ).toEqual(['Gamma']);
      expect(
        (await t.http.get('/api/v1/organizations').query({ externalUid: 'uid-Beta' }).set(auth).expect(200)).body.items.map(
          (o: { name: string }) => o.name,
        ),
      ).toEqual(['Beta']);
      // A platform admin narrows by tenant.
      const byTenant = await t.http.get('/api/v1/organizations').query({ tenantKey: own.key }).set('Authorization', t.admin).expect(200);
      expect(byTenant.body.total).toBe(3);
      expect(
        (await t.http.get('/api/v1/organizations').query({ tenantKey: 'no-such-tenant' }).set('Authorization', t.admin).expect(200)).body
          .total,
      ).toBe(0);
    });

    it('refuses duplicates within a tenant with 409, allows them across tenants', async () => {
      await t.http.post('/api/v1/organizations').set(as()).send({ name: 'Unique Name', externalUid: 'ext-unique' }).expect(201);
      expectError(await t.http.post('/api/v1/organizations').set(as()).send({ name: 'Unique Name' }), 409);
      expectError(await t.http.post('/api/v1/organizations').set(as()).send({ name: 'Other Name', externalUid: 'ext-unique' }), 409);
      const second = await makeOrganization(t, tenant.auth);
      expectError(await t.http.patch(`/api/v1/organizations/${second.id}`).set(as()).send({ name: 'Unique Name' }), 409);
      const other = await makeTenant(t);
      await t.http
        .post('/api/v1/organizations')
        .set('Authorization', other.auth)
        .send({ name: 'Unique Name', externalUid: 'ext-unique' })
        .expect(201);
      // Direct customers (no tenant) are unique among themselves too.
      await t.http.post('/api/v1/organizations').set('Authorization', t.admin).send({ name: 'Direct Unique' }).expect(201);
      expectError(await t.http.post('/api/v1/organizations').set('Authorization', t.admin).send({ name: 'Direct Unique' }), 409);
      await t.http
        .post('/api/v1/organizations')
        .set('Authorization', t.admin)
        .send({ name: 'Direct A', externalUid: 'direct-uid' })
        .expect(201);
      const clash = await t.http
        .post('/api/v1/organizations')
        .set('Authorization', t.admin)
        .send({ name: 'Direct B', externalUid: 'direct-uid' });
      expectError(clash, 409, /^An organization with this externalUid already exists among organizations without a tenant$/);
      // A name with spaces around it is the same name.
      expectError(
        await t.http.post('/api/v1/organizations').set(as()).send({ name: '  Unique Name ' }),
        409,
        /^An organization with this name already exists in this tenant$/,
      );
    });

    it('lets a platform admin place an organization in a tenant by key', async () => {
      const res = await t.http
        .post('/api/v1/organizations')
        .set('Authorization', t.admin)
        .send({ name: 'Placed', tenantKey: tenant.key })
        .expect(201);
      expect(res.body.tenantKey).toBe(tenant.key);
      await t.http.get(`/api/v1/organizations/${res.body.id}`).set(as()).expect(200);
      expectError(
        await t.http.post('/api/v1/organizations').set('Authorization', t.admin).send({ name: 'Nowhere', tenantKey: 'no-such-tenant' }),
        400,
        /tenantKey/,
      );
      const own = await t.http.post('/api/v1/organizations').set(as()).send({ name: 'Own key named', tenantKey: tenant.key }).expect(201);
      expect(own.body.tenantKey).toBe(tenant.key);
    });

    it('answers 400 naming the field for invalid bodies', async () => {
      const org = await makeOrganization(t, tenant.auth);
      const bad: [Record<string, unknown>, RegExp][] = [
        [{}, /\bname\b/],
        [{ name: '' }, /\bname\b/],
        [{ name: ' \t ' }, /\bname\b/],
        [{ name: 42 }, /\bname\b/],
        [{ name: 'x'.repeat(201) }, /\bname\b/],
        [{ name: 'Mode', authMode: 'ldap' }, /\bauthMode\b/],
        [{ name: 'Ext', authMode: 'external' }, /externalLoginProviderId/],
        [{ name: 'Prov', externalLoginProviderId: 'nope' }, /externalLoginProviderId/],
        [{ name: 'Plan1', plan: 'free' }, /\bplan\b/],
        [{ name: 'Plan2', plan: [] }, /\bplan\b/],
        [{ name: 'Plan3', plan: [{ priceCents: 100, currency: 'EUR' }] }, /\bplan\b/],
        [{ name: 'Plan4', plan: { priceCents: -1, currency: 'EUR' } }, /plan\.priceCents/],
        [{ name: 'Plan5', plan: { priceCents: 1.5, currency: 'EUR' } }, /plan\.priceCents/],
        [{ name: 'Plan6', plan: { priceCents: '100', currency: 'EUR' } }, /plan\.priceCents/],
        [{ name: 'Plan7', plan: { priceCents: 100, currency: 'euro' } }, /plan\.currency/],
        [{ name: 'Plan8', plan: { priceCents: 100, currency: 'EUR', discount: 5 } }, /discount/],
        [{ name: 'Extra', owner: 'me' }, /property owner should not exist/],
      ];
      for (const [body, message] of bad) expectError(await t.http.post('/api/v1/organizations').set(as()).send(body), 400, message);
      const badPatch: [Record<string, unknown>, RegExp][] = [
        [{ name: null }, /\bname\b/],
        [{ name: '' }, /\bname\b/],
        [{ name: '   ' }, /\bname\b/],
        [{ authMode: null }, /\bauthMode\b/],
        [{ authMode: 'external' }, /externalLoginProviderId/],
        [{ plan: [] }, /\bplan\b/],
        [{ plan: { priceCents: 100 } }, /plan\.currency/],
        [{ tenantKey: 'other' }, /property tenantKey should not exist/],
      ];
      for (const [body, message] of badPatch)
        expectError(await t.http.patch(`/api/v1/organizations/${org.id}`).set(as()).send(body), 400, message);
      expect((await t.http.get(`/api/v1/organizations/${org.id}`).set(as()).expect(200)).body).toMatchObject({
        name: org.name,
        authMode: 'portico',
        plan: null,
      });
    });
  });

  describe('members', () => {
    it('adds, lists, re-roles and removes members, each change audited', async () => {
      const org = await makeOrganization(t, tenant.auth);
      const ada = await makeUser(t, tenant.auth, { firstName: 'Ada', lastName: 'Lovelace' });
      const bob = await makeUser(t, tenant.auth);

      const added = await t.http
        .post(`/api/v1/organizations/${org.id}/members`)
        .set(as())
        .send({ userId: ada.id, role: 'owner' })
        .expect(201);
      expect(added.body).toEqual({
        userId: ada.id,
        organizationId: org.id,
        email: ada.email,
        firstName: 'Ada',
        lastName: 'Lovelace',
        role: 'owner',
        createdAt: expect.any(String),
      });
      await expectAudited(t, 'membership.created', ada.id, { organizationId: org.id, role: 'owner' });
      const defaulted = await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({ userId: bob.id }).expect(201);
      expect(defaulted.body.role).toBe('member');

      const list = await t.http.get(`/api/v1/organizations/${org.id}/members`).set(as()).expect(200);
      expect(list.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
      const roles = Object.fromEntries(list.body.items.map((m: { userId: string; role: string }) => [m.userId, m.role]));
      expect(roles).toEqual({ [ada.id]: 'owner', [bob.id]: 'member' });
      const paged = await t.http.get(`/api/v1/organizations/${org.id}/members`).query({ limit: 1, offset: 1 }).set(as()).expect(200);
      expect(paged.body).toMatchObject({ total: 2, limit: 1, offset: 1, items: [{ userId: list.body.items[1].userId }] });

      const reroled = await t.http.put(`/api/v1/organizations/${org.id}/members/${bob.id}`).set(as()).send({ role: 'admin' }).expect(200);
      expect(reroled.body).toMatchObject({ userId: bob.id, organizationId: org.id, role: 'admin', email: bob.email });
      await expectAudited(t, 'membership.updated', bob.id, { organizationId: org.id, role: 'admin' });

      // Ada is the only owner: she stays one until someone else is.
      await t.http.put(`/api/v1/organizations/${org.id}/members/${bob.id}`).set(as()).send({ role: 'owner' }).expect(200);
      await t.http.delete(`/api/v1/organizations/${org.id}/members/${ada.id}`).set(as()).expect(204);
      await expectAudited(t, 'membership.deleted', ada.id, { organizationId: org.id });
      expect(await memberIds(org.id)).toEqual([bob.id]);
      expectError(await t.http.delete(`/api/v1/organizations/${org.id}/members/${ada.id}`).set(as()), 404, /Membership/);
    });

    it('keeps an owner: the only one can be neither removed nor given another role, the organization can be deleted', async () => {
      const org = await makeOrganization(t, tenant.auth, { name: 'Kestrel Forge' });
      const ada = await makeUser(t, tenant.auth, { organizationId: org.id, role: 'owner' });
      const bob = await makeUser(t, tenant.auth, { organizationId: org.id, role: 'admin' });
      const lastOwner =
        'Kestrel Forge must keep an owner and this is its only one: make another member an owner first, or delete the organization';
      expectError(await t.http.delete(`/api/v1/organizations/${org.id}/members/${ada.id}`).set(as()), 409, lastOwner);
      for (const role of ['admin', 'member']) {
        expectError(await t.http.put(`/api/v1/organizations/${org.id}/members/${ada.id}`).set(as()).send({ role }), 409, lastOwner);
      }
      // A platform admin is held to it too; other members come and go as before.
      expectError(await t.http.delete(`/api/v1/organizations/${org.id}/members/${ada.id}`).set('Authorization', t.admin), 409, lastOwner);
      await t.http.put(`/api/v1/organizations/${org.id}/members/${bob.id}`).set(as()).send({ role: 'member' }).expect(200);
      await t.http.delete(`/api/v1/organizations/${org.id}/members/${bob.id}`).set(as()).expect(204);
      expect((await t.http.get(`/api/v1/organizations/${org.id}/members`).set(as()).expect(200)).body.items).toEqual([
        expect.objectContaining({ userId: ada.id, role: 'owner' }),
      ]);

      // Two owners demoted at the same moment: one goes, the other is the last and stays.
      await t.http.put(`/api/v1/organizations/${org.id}/members/${bob.id}`).set(as()).send({ role: 'owner' }).expect(200);
      const demote = (id: string) => t.http.put(`/api/v1/organizations/${org.id}/members/${id}`).set(as()).send({ role: 'admin' });
      const statuses = (await Promise.all([demote(ada.id), demote(bob.id)])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const owners = (await t.http.get(`/api/v1/organizations/${org.id}/members`).set(as()).expect(200)).body.items.filter(
        (m: { role: string }) => m.role === 'owner',
      );
      expect(owners).toHaveLength(1);

      // An organization that never had an owner is not held to one.
      const ownerless = await makeOrganization(t, tenant.auth);
      const carl = await makeUser(t, tenant.auth, { organizationId: ownerless.id, role: 'admin' });
      await t.http.delete(`/api/v1/organizations/${ownerless.id}/members/${carl.id}`).set(as()).expect(204);

      await t.http.delete(`/api/v1/organizations/${org.id}`).set(as()).expect(204);
      await t.http.get(`/api/v1/users/${ada.id}`).set(as()).expect(200);
    });

    it('PUT adds a user who is not yet a member', async () => {
      const org = await makeOrganization(t, tenant.auth);
      const user = await makeUser(t, tenant.auth);
      const res = await t.http.put(`/api/v1/organizations/${org.id}/members/${user.id}`).set(as()).send({ role: 'member' }).expect(200);
      expect(res.body).toMatchObject({ userId: user.id, role: 'member' });
      await expectAudited(t, 'membership.created', user.id, { organizationId: org.id, role: 'member' });
      expect(await memberIds(org.id)).toEqual([user.id]);
      // Setting the same role again changes nothing and records nothing.
      const before = (await auditEvents(t, { action: 'membership.updated' })).filter((e) => e.target.id === user.id).length;
      await t.http.put(`/api/v1/organizations/${org.id}/members/${user.id}`).set(as()).send({ role: 'member' }).expect(200);
      expect((await auditEvents(t, { action: 'membership.updated' })).filter((e) => e.target.id === user.id).length).toBe(before);
    });

    it('refuses a second membership with 409 and bad input with 400', async () => {
      const org = await makeOrganization(t, tenant.auth);
      const user = await makeUser(t, tenant.auth, { organizationId: org.id });
      expectError(
        await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({ userId: user.id }),
        409,
        /already a member/,
      );
      expectError(await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({}), 400, /\buserId\b/);
      expectError(await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({ userId: 'abc' }), 400, /\buserId\b/);
      expectError(
        await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({ userId: user.id, role: 'boss' }),
        400,
        /\brole\b/,
      );
      expectError(await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({ userId: randomUUID() }), 400, /\buserId\b/);
      expectError(await t.http.put(`/api/v1/organizations/${org.id}/members/${user.id}`).set(as()).send({}), 400, /\brole\b/);
      expectError(
        await t.http.put(`/api/v1/organizations/${org.id}/members/${randomUUID()}`).set(as()).send({ role: 'member' }),
        404,
        /User not found/,
      );
      expectError(
        await t.http.put(`/api/v1/organizations/${org.id}/members/not-a-uuid`).set(as()).send({ role: 'member' }),
        400,
        /userId must be a UUID/,
      );
      expectError(await t.http.delete(`/api/v1/organizations/${org.id}/members/not-a-uuid`).set(as()), 400, /userId must be a UUID/);
      expectError(await t.http.get('/api/v1/organizations/not-a-uuid/members').set(as()), 400, /id must be a UUID/);
      for (const id of [randomUUID()]) {
        expectError(await t.http.get(`/api/v1/organizations/${id}/members`).set(as()), 404, /Organization not found/);
        expectError(await t.http.post(`/api/v1/organizations/${id}/members`).set(as()).send({ userId: user.id }), 404);
        expectError(await t.http.put(`/api/v1/organizations/${id}/members/${user.id}`).set(as()).send({ role: 'admin' }), 404);
        expectError(await t.http.delete(`/api/v1/organizations/${id}/members/${user.id}`).set(as()), 404);
      }
      expectError(await t.http.get(`/api/v1/organizations/${org.id}/members`).query({ limit: 501 }).set(as()), 400, /\blimit\b/);
      expectError(await t.http.get(`/api/v1/organizations/${org.id}/members`).query({ offset: -1 }).set(as()), 400, /\boffset\b/);
    });

    it('deleting an organization removes its memberships, not its users', async () => {
      const org = await makeOrganization(t, tenant.auth);
      const keep = await makeOrganization(t, tenant.auth);
      const a = await makeUser(t, tenant.auth, { organizationId: org.id, role: 'owner' });
      const b = await makeUser(t, tenant.auth, { organizationId: org.id });
      await t.http.put(`/api/v1/organizations/${keep.id}/members/${a.id}`).set(as()).send({ role: 'admin' }).expect(200);

      await t.http.delete(`/api/v1/organizations/${org.id}`).set(as()).expect(204);
      expectError(await t.http.get(`/api/v1/organizations/${org.id}/members`).set(as()), 404);
      // The membership rows are gone: the user filter reads them directly.
      expect((await t.http.get('/api/v1/users').query({ organizationId: org.id }).set(as()).expect(200)).body).toMatchObject({
        total: 0,
        items: [],
      });
      await t.http.get(`/api/v1/users/${a.id}`).set(as()).expect(200);
      await t.http.get(`/api/v1/users/${b.id}`).set(as()).expect(200);
      expect(await memberIds(keep.id)).toEqual([a.id]);
    });
  });
});
