import { randomUUID } from 'node:crypto';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

/** How the API answers what it cannot accept: always JSON {statusCode, error, message}, never a 500. */
describe.each(databaseKinds())('API errors and authentication (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let user: { id: string };
  let org: { id: string };
  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    org = await makeOrganization(t, tenant.auth);
    user = await makeUser(t, tenant.auth);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const as = () => ({ Authorization: tenant.auth });
  const writes = () => [
    ['post', '/api/v1/users'],
    ['patch', `/api/v1/users/${user.id}`],
    ['put', `/api/v1/users/${user.id}/billable`],
    ['post', '/api/v1/organizations'],
    ['patch', `/api/v1/organizations/${org.id}`],
    ['post', `/api/v1/organizations/${org.id}/members`],
    ['put', `/api/v1/organizations/${org.id}/members/${user.id}`],
  ];
  const call = (method: string, path: string) =>
    (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)[method](path);

  describe('request bodies', () => {
    it('answers 400 to malformed JSON', async () => {
      for (const [method, path] of writes()) {
        expectError(
          await call(method, path).set(as()).set('Content-Type', 'application/json').send('{"email": "a@example.com",'),
          400,
          /^The request body is not valid JSON \(.+\)$/,
        );
      }
      expectError(
        await t.http
          .post('/api/v1/tenants')
          .set('Authorization', t.admin)
          .set('Content-Type', 'application/json')
          .send("{'key': 'single-quotes'}"),
        400,
        /JSON/,
      );
    });

    it('answers 415 to a body that is not JSON, and reads JSON-based media types', async () => {
      const notJson: [string, string][] = [
        ['text/plain', '{"email": "plain@example.com"}'],
        ['application/x-www-form-urlencoded', 'email=form%40example.com'],
        ['application/xml', '<user><email>xml@example.com</email></user>'],
      ];
      for (const [type, body] of notJson) {
        for (const [method, path] of writes()) {
          expectError(
            await call(method, path).set(as()).set('Content-Type', type).send(body),
            415,
            /^The API reads JSON: send the request body with Content-Type: application\/json$/,
          );
        }
      }
      // A body without any Content-Type is no JSON either; nothing was created by any of these.
      const untyped = await t.http.post('/api/v1/users').set(as()).set('Content-Length', '2').send(Buffer.from('{}'));
      expectError(untyped, 415);
      const listed = await t.http.get('/api/v1/users').query({ limit: 500 }).set(as()).expect(200);
      expect(listed.body.items.map((u: { email: string }) => u.email).filter((e: string) => /plain|form|xml/.test(e))).toEqual([]);
      // A bodiless POST is fine whatever it declares, and application/*+json is JSON.
      await t.http
        .post(`/api/v1/tenants/${tenant.key}/api-keys`)
        .set('Authorization', t.admin)
        .set('Content-Type', 'text/plain')
        .expect(201);
      const patched = await t.http
        .patch(`/api/v1/users/${user.id}`)
        .set(as())
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify({ firstName: 'Merged' }))
        .expect(200);
      expect(patched.body.firstName).toBe('Merged');
    });

    it('answers 400 to JSON that is not an object', async () => {
      for (const body of ['null', '"text"', '42', 'true']) {
        expectError(await t.http.post('/api/v1/users').set(as()).set('Content-Type', 'application/json').send(body), 400);
      }
      expectError(
        await t.http
          .post('/api/v1/users')
          .set(as())
          .send([{ email: 'in-an-array@example.com' }]),
        400,
      );
      expectError(await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send([true]), 400);
    });

    it('answers 413 to a body over the 100kb limit', async () => {
      const big = 'x'.repeat(101 * 1024);
      for (const [method, path] of writes()) {
        expectError(await call(method, path).set(as()).send({ firstName: big }), 413);
      }
      expectError(await t.http.post('/api/v1/tenants').set('Authorization', t.admin).send({ key: 'big-one', name: big }), 413);
      // Just under the limit is read (and then judged on its content).
      expectError(
        await t.http
          .post('/api/v1/users')
          .set(as())
          .send({ email: 'fits@example.com', firstName: 'x'.repeat(90 * 1024) }),
        400,
        /firstName/,
      );
    });

    it('refuses unknown fields, naming them', async () => {
      expectError(
        await t.http.post('/api/v1/users').set(as()).send({ email: 'extra@example.com', admin: true }),
        400,
        /property admin should not exist/,
      );
      expectError(
        await t.http.patch(`/api/v1/users/${user.id}`).set(as()).send({ tenantId: randomUUID() }),
        400,
        /property tenantId should not exist/,
      );
      expectError(
        await t.http.put(`/api/v1/users/${user.id}/billable`).set(as()).send({ billable: true, reason: 'x' }),
        400,
        /property reason should not exist/,
      );
      expectError(
        await t.http.post('/api/v1/organizations').set(as()).send({ name: 'Extra', id: randomUUID() }),
        400,
        /property id should not exist/,
      );
      expectError(
        await t.http.post(`/api/v1/organizations/${org.id}/members`).set(as()).send({ userId: user.id, isAdmin: true }),
        400,
        /property isAdmin should not exist/,
      );
      expectError(
        await t.http.post('/api/v1/tenants').set('Authorization', t.admin).send({ key: 'with-extra', name: 'x', secret: 'mine' }),
        400,
        /property secret should not exist/,
      );
      expectError(
        await t.http.post(`/api/v1/tenants/${tenant.key}/api-keys`).set('Authorization', t.admin).send({ keyId: 'tk_mine' }),
        400,
        /property keyId should not exist/,
      );
      // Nothing was written by any of them.
      expect((await t.http.get('/api/v1/users').query({ email: 'extra@example.com' }).set(as()).expect(200)).body.total).toBe(0);
    });

    it('names every invalid field at once', async () => {
      const res = await t.http.post('/api/v1/users').set(as()).send({ email: 'nope', billable: 'maybe', status: 'zombie' });
      expectError(res, 400);
      for (const field of ['email', 'billable', 'status']) expect(res.body.message).toMatch(new RegExp(`\\b${field}\\b`));
    });
  });

  describe('path and query parameters', () => {
    it('answers 400 naming the parameter for ids that are not UUIDs', async () => {
      // Each with a valid body, so the id is the only thing wrong.
      const cases: [string, string, object | undefined, RegExp][] = [
        ['get', '/api/v1/users/123', undefined, /^id must be a UUID/],
        ['patch', '/api/v1/users/abc', { firstName: 'Valid' }, /^id must be a UUID/],
        ['delete', "/api/v1/users/1'%20OR%201=1", undefined, /^id must be a UUID/],
        ['put', '/api/v1/users/not-an-id/billable', { billable: true }, /^id must be a UUID/],
        ['get', '/api/v1/organizations/42', undefined, /^id must be a UUID/],
        ['patch', '/api/v1/organizations/x', { name: 'Valid' }, /^id must be a UUID/],
        ['delete', '/api/v1/organizations/x', undefined, /^id must be a UUID/],
        ['get', '/api/v1/organizations/x/members', undefined, /^id must be a UUID/],
        ['post', '/api/v1/organizations/x/members', { userId: user.id }, /^id must be a UUID/],
        ['put', `/api/v1/organizations/${org.id}/members/x`, { role: 'member' }, /^userId must be a UUID/],
        ['put', `/api/v1/organizations/x/members/${user.id}`, { role: 'member' }, /^id must be a UUID/],
        ['delete', `/api/v1/organizations/${org.id}/members/x`, undefined, /^userId must be a UUID/],
        ['get', `/api/v1/users/${user.id}0`, undefined, /^id must be a UUID/],
      ];
      for (const [method, path, body, message] of cases) {
        const req = call(method, path).set(as());
        expectError(await (body ? req.send(body) : req), 400, message);
      }
    });

    it('gives one reason per field: the first rule it breaks', async () => {
      expectError(await t.http.get('/api/v1/users?limit=1&limit=2').set(as()), 400, /^limit must be an integer number$/);
      expectError(await t.http.get('/api/v1/users?limit=0').set(as()), 400, /^limit must not be less than 1$/);
      expectError(await t.http.post('/api/v1/users').set(as()).send({}), 400, /^email must be a valid email address$/);
      // Several fields wrong: one reason each, in one message.
      expectError(
        await t.http.post('/api/v1/users').set(as()).send({ email: 7, billable: 'yes' }),
        400,
        /^(?=.*email must be a valid email address)(?=.*billable must be a boolean value)[^;]*;[^;]*$/,
      );
    });

    it('treats UUIDs case-insensitively on every database', async () => {
      const upper = user.id.toUpperCase();
      expect((await t.http.get(`/api/v1/users/${upper}`).set(as()).expect(200)).body.id).toBe(user.id);
      expect((await t.http.get(`/api/v1/organizations/${org.id.toUpperCase()}`).set(as()).expect(200)).body.id).toBe(org.id);
      expect((await t.http.get(`/api/v1/organizations/${org.id.toUpperCase()}/members`).set(as()).expect(200)).body.total).toBe(0);
    });

    it('answers 404 for ids that name nothing', async () => {
      const ghost = randomUUID();
      expectError(await t.http.get(`/api/v1/users/${ghost}`).set(as()), 404, /User not found/);
      expectError(await t.http.get(`/api/v1/organizations/${ghost}`).set(as()), 404, /Organization not found/);
      expectError(await t.http.get('/api/v1/tenants/no-such-tenant').set('Authorization', t.admin), 404, /no-such-tenant/);
      expectError(await t.http.get('/api/v1/tenants/no-such-tenant/api-keys').set('Authorization', t.admin), 404);
      expectError(await t.http.delete(`/api/v1/tenants/${tenant.key}/api-keys/tk_nothing`).set('Authorization', t.admin), 404);
    });

    it('answers 400 to a path that cannot be decoded, and 404 JSON to unknown /api routes', async () => {
      expectError(await t.http.get('/api/v1/users/%E0%A4%A').set(as()), 400);
      expectError(await t.http.get('/api/v1/tenants/%ZZ').set('Authorization', t.admin), 400);
      expectError(await t.http.get('/api/v1/nothing-here').set(as()), 404);
      expectError(await t.http.post('/api/v2/users').set(as()).send({}), 404);
      expectError(await t.http.put('/api/v1/users').set(as()).send({}), 404);
    });

    it('treats a path no module declares as a machine route: no session, no CSRF check, the API headers', async () => {
      // A tenant-keyed path like the portal's machine routes, which no module has: before a
      // module declares it a page it gets neither a session nor a CSRF check.
      const res = await t.http.post(`/t/${tenant.key}/not-declared`).type('form').send({ field: 'value' });
      expectError(res, 404);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers a browser on a path nobody declares with a 404 page that may load its stylesheet', async () => {
      const res = await t.http.get('/no-such-page').set('Accept', 'text/html');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('404');
      expect(res.text).toMatch(/<link[^>]+stylesheet[^>]+href="\/assets\//);
      expect(res.headers['content-security-policy']).toMatch(/style-src 'self'/);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('validates limit and offset on every list', async () => {
      const lists: [string, string][] = [
        ['/api/v1/users', tenant.auth],
        ['/api/v1/organizations', tenant.auth],
        [`/api/v1/organizations/${org.id}/members`, tenant.auth],
        ['/api/v1/tenants', t.admin],
        ['/api/v1/audit-events', t.admin],
      ];
      for (const [path, auth] of lists) {
        for (const [query, field] of [
          [{ limit: '501' }, 'limit'],
          [{ limit: '0' }, 'limit'],
          [{ limit: '-5' }, 'limit'],
          [{ limit: 'all' }, 'limit'],
          [{ offset: '-1' }, 'offset'],
          [{ offset: '2.5' }, 'offset'],
          [{ unknown: '1' }, 'unknown'],
        ] as const) {
          expectError(await t.http.get(path).query(query).set('Authorization', auth), 400, new RegExp(`\\b${field}\\b`));
        }
        const max = await t.http.get(path).query({ limit: '500', offset: '0' }).set('Authorization', auth).expect(200);
        expect(max.body).toMatchObject({ limit: 500, offset: 0, total: expect.any(Number), items: expect.any(Array) });
      }
    });
  });

  describe('credentials', () => {
    it('answers 401 with WWW-Authenticate when credentials are missing or wrong', async () => {
      const tenantRoutes = [
        '/api/v1/users',
        '/api/v1/organizations',
        `/api/v1/users/${user.id}`,
        `/api/v1/organizations/${org.id}/members`,
      ];
      const badHeaders = [
        undefined,
        '',
        'Bearer',
        'Bearer wrong-token',
        `Basic ${Buffer.from(`${tenant.keyId}:not-the-secret`).toString('base64')}`,
        `Basic ${Buffer.from(`tk_unknown:${tenant.secret}`).toString('base64')}`,
        `Basic ${Buffer.from(`${tenant.keyId}`).toString('base64')}`,
        `Basic ${Buffer.from(`:${tenant.secret}`).toString('base64')}`,
        'Basic !!!not-base64!!!',
        `Digest username="${tenant.keyId}"`,
        tenant.secret,
      ];
      for (const path of tenantRoutes) {
        for (const header of badHeaders) {
          const req = t.http.get(path);
          if (header !== undefined) req.set('Authorization', header);
          const res = await req;
          expectError(res, 401, /credentials/);
          expect(res.headers['www-authenticate']).toBe('Basic realm="portico", charset="UTF-8"');
        }
      }
      const admin = await t.http.get('/api/v1/tenants');
      expectError(admin, 401);
      expect(admin.headers['www-authenticate']).toBe('Bearer realm="portico"');
      expectError(await t.http.get('/api/v1/tenants').set('Authorization', 'Bearer wrong-token'), 401);
      // The platform-admin token is not accepted as a Basic password either.
      const adminToken = t.admin.replace(/^Bearer /, '');
      expectError(
        await t.http.get('/api/v1/users').set('Authorization', `Basic ${Buffer.from(`admin:${adminToken}`).toString('base64')}`),
        401,
      );
    });

    it('never writes anything for an unauthenticated request', async () => {
      expectError(await t.http.post('/api/v1/users').send({ email: 'anon@example.com' }), 401);
      expectError(await t.http.post('/api/v1/organizations').send({ name: 'Anon Org' }), 401);
      expectError(await t.http.delete(`/api/v1/users/${user.id}`), 401);
      expectError(await t.http.post('/api/v1/tenants').send({ key: 'anon-tenant', name: 'Anon' }), 401);
      expect((await t.http.get('/api/v1/users').query({ email: 'anon@example.com' }).set(as()).expect(200)).body.total).toBe(0);
      await t.http.get(`/api/v1/users/${user.id}`).set(as()).expect(200);
      expectError(await t.http.get('/api/v1/tenants/anon-tenant').set('Authorization', t.admin), 404);
    });

    it('does not let a console session cookie stand in for API credentials', async () => {
      const res = await t.http.get('/api/v1/users').set('Cookie', 'portico.sid=s%3Aforged.signature');
      expectError(res, 401);
    });
  });
});
