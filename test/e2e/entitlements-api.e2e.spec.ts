import { expectAudited, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { check, ClassFixture, expectRefused, makeClass, makeVirtual, readEntitlement, uniqueName } from '../support/entitlements';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const NO_CLASS = '00000000-0000-4000-8000-000000000000';
const VIRTUAL_FIELDS = [
  'classId',
  'className',
  'createdAt',
  'expired',
  'expiresAt',
  'id',
  'key',
  'organizationId',
  'server',
  'status',
  'tenantKey',
  'updatedAt',
];

/** The configuration API of §10 for entitlements: classes (admins), virtual keys (tenants too), import. */
describe.each(databaseKinds())('entitlements API (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let acme: TenantFixture;
  let globex: TenantFixture;
  let cls: ClassFixture;

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    acme = await makeTenant(t);
    globex = await makeTenant(t);
    cls = await makeClass(t, { name: 'apiProduct', server: 'api.example.com', realKey: 'real-api' });
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const as = (auth: string) => ({ Authorization: auth });

  describe('classes', () => {
    it('creates, reads, replaces and deletes a class, audited without its real key', async () => {
      const res = await t.http
        .post('/api/v1/entitlements/classes')
        .set(as(t.admin))
        .send({ name: ' tools ', server: ' Tools.Example.COM ', realKey: ' k-1 ' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'tools',
        server: 'tools.example.com',
        realKey: 'k-1',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const event = await expectAudited(t, 'entitlement_class.created', res.body.id, { name: 'tools', server: 'tools.example.com' });
      expect(JSON.stringify(event)).not.toContain('k-1');
      const replaced = await t.http
        .put(`/api/v1/entitlements/classes/${res.body.id}`)
        .set(as(t.admin))
        .send({ name: 'tools', server: 'tools.example.com', realKey: 'k-2' })
        .expect(200);
      expect(replaced.body.realKey).toBe('k-2');
      const updated = await expectAudited(t, 'entitlement_class.updated', res.body.id, { changed: ['realKey'] });
      expect(JSON.stringify(updated)).not.toContain('k-2');
      const list = await t.http.get('/api/v1/entitlements/classes').query({ search: 'TOOLS' }).set(as(t.admin)).expect(200);
      expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0, items: [{ id: res.body.id }] });
      await t.http.delete(`/api/v1/entitlements/classes/${res.body.id}`).set(as(t.admin)).expect(204);
      expectError(await t.http.get(`/api/v1/entitlements/classes/${res.body.id}`).set(as(t.admin)), 404);
    });

    it.each([
      ['no name', { server: 'a.example.com', realKey: 'k' }, /name/],
      ['a server that is no host name', { name: 'n', server: 'not a host', realKey: 'k' }, /server must be a host name/],
      ['no real key', { name: 'n', server: 'a.example.com' }, /realKey/],
      ['a NUL in the real key', { name: 'n', server: 'a.example.com', realKey: 'k\u0000' }, /control characters/],
      ['an unknown field', { name: 'n', server: 'a.example.com', realKey: 'k', extra: 1 }, /extra should not exist/],
      ['a name of 201 characters', { name: 'x'.repeat(201), server: 'a.example.com', realKey: 'k' }, /name/],
    ])('refuses %s with a 400 naming the field', async (_label, body, message) => {
      expectError(await t.http.post('/api/v1/entitlements/classes').set(as(t.admin)).send(body), 400, message);
    });

    it('refuses a second class of the same name on a server, and tenants altogether', async () => {
      expectError(
        await t.http
          .post('/api/v1/entitlements/classes')
          .set(as(t.admin))
          .send({ name: 'apiProduct', server: 'API.example.com', realKey: 'x' }),
        409,
        /already has a class/,
      );
      await t.http
        .post('/api/v1/entitlements/classes')
        .set(as(t.admin))
        .send({ name: 'apiProduct', server: 'other-api.example.com', realKey: 'x' })
        .expect(201);
      expectError(await t.http.get('/api/v1/entitlements/classes').set(as(acme.auth)), 403);
    });

    it('keeps a class that virtual keys map onto', async () => {
      const used = await makeClass(t);
      await makeVirtual(t, acme.auth, { key: uniqueName('pinned'), classId: used.id });
      expectError(await t.http.delete(`/api/v1/entitlements/classes/${used.id}`).set(as(t.admin)), 409, /1 virtual key/);
    });
  });

  describe('virtual keys', () => {
    it('creates a key for the calling tenant and answers it with its class', async () => {
      const org = await makeOrganization(t, acme.auth);
      const res = await t.http
        .post('/api/v1/entitlements/virtual')
        .set(as(acme.auth))
        .send({ key: 'acme-cust-1', classId: cls.id, expiresAt: '2099-01-01T00:00:00Z', organizationId: org.id })
        .expect(201);
      expect(Object.keys(res.body).sort()).toEqual(VIRTUAL_FIELDS);
      expect(res.body).toMatchObject({
        key: 'acme-cust-1',
        classId: cls.id,
        className: 'apiProduct',
        server: 'api.example.com',
        status: 'active',
        expired: false,
        tenantKey: acme.key,
        organizationId: org.id,
        expiresAt: '2099-01-01T00:00:00.000Z',
      });
      expect(res.text).not.toContain('real-api');
      await expectAudited(t, 'virtual_entitlement.created', res.body.id, { key: 'acme-cust-1' });
      expect((await t.http.get(`/api/v1/entitlements/virtual/${res.body.id}`).set(as(acme.auth)).expect(200)).body).toEqual(res.body);
    });

    it("keeps tenants apart: another tenant's keys are invisible and untouchable", async () => {
      const mine = await makeVirtual(t, acme.auth, { key: uniqueName('acme-only'), classId: cls.id });
      const theirs = await makeVirtual(t, globex.auth, { key: uniqueName('globex-only'), classId: cls.id });
      const listed = await t.http.get('/api/v1/entitlements/virtual').query({ limit: '500' }).set(as(acme.auth)).expect(200);
      const keys = listed.body.items.map((v: { key: string }) => v.key);
      expect(keys).toContain(mine.key);
      expect(keys).not.toContain(theirs.key);
      expect(listed.body.items.every((v: { tenantKey: string }) => v.tenantKey === acme.key)).toBe(true);
      expectError(await t.http.get(`/api/v1/entitlements/virtual/${theirs.id}`).set(as(acme.auth)), 404);
      expectError(await t.http.patch(`/api/v1/entitlements/virtual/${theirs.id}`).set(as(acme.auth)).send({ status: 'suspended' }), 404);
      expectError(await t.http.delete(`/api/v1/entitlements/virtual/${theirs.id}`).set(as(acme.auth)), 404);
      readEntitlement(await check(t, `server=api.example.com;key=${theirs.key}`));
      expectError(await t.http.get('/api/v1/entitlements/virtual').query({ tenantKey: globex.key }).set(as(acme.auth)), 403);
      expectError(
        await t.http.post('/api/v1/entitlements/virtual').set(as(acme.auth)).send({ key: 'x', classId: cls.id, tenantKey: globex.key }),
        403,
      );
      const globexOrg = await makeOrganization(t, globex.auth);
      expectError(
        await t.http
          .post('/api/v1/entitlements/virtual')
          .set(as(acme.auth))
          .send({ key: uniqueName('x'), classId: cls.id, organizationId: globexOrg.id }),
        400,
        /organizationId/,
      );
      expectError(
        await t.http.patch(`/api/v1/entitlements/virtual/${mine.id}`).set(as(acme.auth)).send({ organizationId: globexOrg.id }),
        400,
        /organizationId/,
      );
      // A platform admin sees both, and can narrow to one tenant.
      const all = await t.http
        .get('/api/v1/entitlements/virtual')
        .query({ tenantKey: globex.key, limit: '500' })
        .set(as(t.admin))
        .expect(200);
      expect(all.body.items.map((v: { key: string }) => v.key)).toEqual(expect.arrayContaining([theirs.key]));
      expect(all.body.items.every((v: { tenantKey: string }) => v.tenantKey === globex.key)).toBe(true);
    });

    it('refuses the same key twice for a class, even across tenants (the check has one namespace)', async () => {
      const key = uniqueName('shared');
      await makeVirtual(t, acme.auth, { key, classId: cls.id });
      expectError(
        await t.http.post('/api/v1/entitlements/virtual').set(as(globex.auth)).send({ key, classId: cls.id }),
        409,
        /already mapped/,
      );
      const other = await makeClass(t);
      await t.http.post('/api/v1/entitlements/virtual').set(as(acme.auth)).send({ key, classId: other.id }).expect(201);
    });

    it.each([
      ['a class id that is no UUID', { key: 'ok', classId: 'x' }, /classId must be a UUID/],
      ['an empty key', { key: '', classId: NO_CLASS }, /key/],
      ['a key of 256 characters', { key: 'k'.repeat(256), classId: NO_CLASS }, /key/],
      ['a tab in the key', { key: 'a\tb', classId: NO_CLASS }, /control characters/],
      ['an unknown class', { key: 'ok', classId: NO_CLASS }, /classId does not name/],
      ['an unknown status', { key: 'ok', classId: NO_CLASS, status: 'frozen' }, /status/],
      ['an expiry that is no date', { key: 'ok', classId: NO_CLASS, expiresAt: 'soon' }, /expiresAt must be an ISO 8601/],
    ])('refuses %s with a 400', async (_label, body, message) => {
      expectError(await t.http.post('/api/v1/entitlements/virtual').set(as(acme.auth)).send(body), 400, message);
    });

    it('suspends and resumes with audited actions, and lists by status and search', async () => {
      const key = uniqueName('Status-Key');
      const entry = await makeVirtual(t, acme.auth, { key, classId: cls.id });
      await t.http.patch(`/api/v1/entitlements/virtual/${entry.id}`).set(as(acme.auth)).send({ status: 'suspended' }).expect(200);
      await expectAudited(t, 'virtual_entitlement.suspended', entry.id);
      expectRefused(await check(t, `server=api.example.com;key=${key}`));
      const suspended = await t.http
        .get('/api/v1/entitlements/virtual')
        .query({ status: 'suspended', search: key.toLowerCase() })
        .set(as(acme.auth))
        .expect(200);
      expect(suspended.body.items.map((v: { id: string }) => v.id)).toEqual([entry.id]);
      await t.http.patch(`/api/v1/entitlements/virtual/${entry.id}`).set(as(acme.auth)).send({ status: 'active' }).expect(200);
      await expectAudited(t, 'virtual_entitlement.resumed', entry.id);
      expectError(await t.http.patch(`/api/v1/entitlements/virtual/${entry.id}`).set(as(acme.auth)).send({ status: null }), 400);
      const wildcard = await t.http.get('/api/v1/entitlements/virtual').query({ search: '%' }).set(as(acme.auth)).expect(200);
      expect(wildcard.body.items).toEqual([]);
    });

    it('ends the access of a deleted organization with it', async () => {
      const org = await makeOrganization(t, acme.auth);
      const key = uniqueName('org-key');
      await makeVirtual(t, acme.auth, { key, classId: cls.id, organizationId: org.id });
      readEntitlement(await check(t, `server=api.example.com;key=${key}`));
      await t.http.delete(`/api/v1/organizations/${org.id}`).set(as(acme.auth)).expect(204);
      expectRefused(await check(t, `server=api.example.com;key=${key}`));
    });
  });

  describe('import', () => {
    it('reports every line and imports into the calling tenant only', async () => {
      const k = uniqueName('bulk');
      const csv = `Key,Server,Class,Expires_At\n${k}-a,api.example.com,apiProduct,\n${k}-b,api.example.com,apiProduct,2001-01-01\n${k}-c,api.example.com,nope,\n"${k}-d,with comma",API.EXAMPLE.COM,apiProduct,\n`;
      const res = await t.http.post('/api/v1/entitlements/virtual/import').set(as(acme.auth)).send({ csv }).expect(200);
      expect(res.body).toEqual({
        created: 3,
        updated: 0,
        failed: 1,
        lines: [
          { line: 2, key: `${k}-a`, result: 'created' },
          { line: 3, key: `${k}-b`, result: 'created' },
          { line: 4, key: `${k}-c`, result: 'error', message: 'no class “nope” on server api.example.com' },
          { line: 5, key: `${k}-d,with comma`, result: 'created' },
        ],
      });
      readEntitlement(await check(t, `server=api.example.com;key=${k}-a`));
      expectRefused(await check(t, `server=api.example.com;key=${k}-b`));
      readEntitlement(await check(t, `server=api.example.com;key=${encodeURIComponent(`${k}-d,with comma`)}`));
      const mine = await t.http.get('/api/v1/entitlements/virtual').query({ search: k }).set(as(acme.auth)).expect(200);
      expect(mine.body.total).toBe(3);
      expect((await t.http.get('/api/v1/entitlements/virtual').query({ search: k }).set(as(globex.auth)).expect(200)).body.total).toBe(0);
      // Another tenant importing the same keys gets a refusal per line, nothing of acme's changes.
      const theirs = await t.http
        .post('/api/v1/entitlements/virtual/import')
        .set(as(globex.auth))
        .send({ csv: `key,status\n${k}-a,suspended`, defaultClassId: cls.id })
        .expect(200);
      expect(theirs.body).toMatchObject({
        created: 0,
        updated: 0,
        failed: 1,
        lines: [{ line: 2, result: 'error', message: expect.stringMatching(/another owner/) }],
      });
      readEntitlement(await check(t, `server=api.example.com;key=${k}-a`));
      expectError(
        await t.http.post('/api/v1/entitlements/virtual/import').set(as(acme.auth)).send({ csv: 'just,columns' }),
        400,
        /must name the columns/,
      );
    });
  });

  describe('decisions', () => {
    it('lists decisions newest first with filters, for platform admins only', async () => {
      const key = uniqueName('decided');
      await makeVirtual(t, acme.auth, { key, classId: cls.id });
      readEntitlement(await check(t, `server=api.example.com;key=${key};remote_ip=192.0.2.1`));
      expectRefused(await check(t, `server=wrong.example.com;key=${key};remote_ip=192.0.2.1`));
      const res = await t.http.get('/api/v1/entitlements/decisions').query({ key }).set(as(t.admin)).expect(200);
      expect(res.body.items.map((d: { code: string }) => d.code)).toEqual(['SERVER_MISMATCH', 'VALID']);
      expect(res.body.items[0]).toMatchObject({
        at: expect.any(String),
        count: 1,
        server: 'wrong.example.com',
        key,
        remoteIp: '192.0.2.1',
        callerIp: '127.0.0.1',
      });
      const valid = await t.http.get('/api/v1/entitlements/decisions').query({ key, code: 'VALID' }).set(as(t.admin)).expect(200);
      expect(valid.body.total).toBe(1);
      expect(Math.abs(Date.parse(valid.body.items[0].at) - Date.now())).toBeLessThan(60_000);
      const since = (offsetMs: number) =>
        t.http
          .get('/api/v1/entitlements/decisions')
          .query({ key, since: new Date(Date.now() + offsetMs).toISOString() })
          .set(as(t.admin));
      expect((await since(-60_000).expect(200)).body.total).toBe(2);
      expect((await since(60_000).expect(200)).body.total).toBe(0);
      expectError(await t.http.get('/api/v1/entitlements/decisions').query({ code: 'MAYBE' }).set(as(t.admin)), 400);
      expectError(await t.http.get('/api/v1/entitlements/decisions').set(as(acme.auth)), 403);
    });
  });
});
