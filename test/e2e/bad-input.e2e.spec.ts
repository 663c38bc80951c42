import { connect } from 'node:net';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { csrfOf, WebSession } from '../support/web-session';

// Short, so the stalled-body test waits seconds rather than the default half minute.
const REQUEST_TIMEOUT_SECONDS = 2;

/** `{"email": [[…]]}` nested `levels` deep in all, the body's own object included. */
const nested = (levels: number) => `{"email":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

/**
 * What the outside attack run sent to get a 500 (issue 16, items 4, 6 and 7): each is a 400 naming
 * the field, a same-origin redirect, or a closed connection.
 */
describe.each(databaseKinds())('bad input (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;

  beforeAll(async () => {
    t = await startTestApp(kind, { HTTP_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_SECONDS) });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  const json = (method: 'post' | 'patch', path: string, body: string, auth?: string) => {
    const req = t.http[method](path).set('Content-Type', 'application/json');
    return (auth ? req.set('Authorization', auth) : req).send(body);
  };

  describe('JSON nested too deep', () => {
    const routes = (): [string, string | undefined][] => [
      ['/api/auth/register', undefined],
      ['/api/auth/autologin', undefined],
      ['/api/v1/users', tenant.auth],
      ['/api/v1/organizations', tenant.auth],
    ];

    it('refuses 5,000 levels with a 400 that says why, on anonymous and authenticated routes', async () => {
      for (const [path, auth] of routes()) {
        expectError(await json('post', path, nested(5000), auth), 400, 'The request body is nested deeper than 32 levels');
      }
    });

    it('refuses 33 levels and reads 32 (then the field itself is judged)', async () => {
      for (const [path, auth] of routes()) {
        expectError(await json('post', path, nested(33), auth), 400, 'The request body is nested deeper than 32 levels');
        const res = await json('post', path, nested(32), auth);
        expectError(res, 400);
        expect(res.body.message).not.toMatch(/nested/);
      }
    });
  });

  describe('offset out of range', () => {
    const lists = () => [
      ['/api/v1/users', tenant.auth],
      ['/api/v1/organizations', tenant.auth],
      ['/api/v1/tenants', t.admin],
      [`/api/v1/tenants/${tenant.key}/api-keys`, t.admin],
    ];

    it('answers 400 naming offset past 1,000,000, and an empty page at 1,000,000', async () => {
      for (const [path, auth] of lists()) {
        for (const offset of ['9223372036854775807', '1000001', '1e300']) {
          expectError(await t.http.get(path).query({ offset }).set('Authorization', auth), 400, /^offset /);
        }
        const last = await t.http.get(path).query({ offset: 1_000_000 }).set('Authorization', auth).expect(200);
        expect(last.body).toMatchObject({ items: [], offset: 1_000_000 });
      }
    });
  });

  describe('text that is no text', () => {
    it('answers 400 naming email to a lone surrogate in an email, on register and on the users API', async () => {
      const person = { firstName: 'Lone', lastName: 'Surrogate', organizationName: 'Surrogates Ltd', password: 'a-long-password-1' };
      for (const email of ['a\ud800@example.com', 'a\udc00b@example.com', '\ud83d@example.com']) {
        expectError(await t.http.post('/api/auth/register').send({ ...person, email }), 400, /^email /);
        expectError(
          await t.http.post('/api/v1/users').set('Authorization', tenant.auth).send({ email, firstName: 'A', lastName: 'B' }),
          400,
          /^email /,
        );
      }
      // A surrogate pair is a character like any other.
      await t.http
        .post('/api/v1/users')
        .set('Authorization', tenant.auth)
        .send({ email: 'pair@example.com', firstName: '😀', lastName: 'B' })
        .expect(201);
    });

    it('answers 400 naming the field to NUL and control characters in tenant, organization and API key names', async () => {
      for (const bad of ['Acme\u0000', 'Ac\u0007me', 'Acme\u001b[2J', 'Acme\u007f']) {
        expectError(
          await t.http.post('/api/v1/tenants').set('Authorization', t.admin).send({ key: 'ctl-tenant', name: bad }),
          400,
          /^name /,
        );
        expectError(await t.http.patch(`/api/v1/tenants/${tenant.key}`).set('Authorization', t.admin).send({ name: bad }), 400, /^name /);
        expectError(await t.http.post('/api/v1/organizations').set('Authorization', tenant.auth).send({ name: bad }), 400, /^name /);
        expectError(
          await t.http.post(`/api/v1/tenants/${tenant.key}/api-keys`).set('Authorization', t.admin).send({ label: bad }),
          400,
          /^label /,
        );
      }
      // Nothing was created or renamed by any of these.
      expectError(await t.http.get('/api/v1/tenants/ctl-tenant').set('Authorization', t.admin), 404);
      expect((await t.http.get(`/api/v1/tenants/${tenant.key}`).set('Authorization', t.admin).expect(200)).body.name).toBe(
        `Tenant ${tenant.key}`,
      );
    });

    it('answers 400 to tabs and line breaks inside one-line names, which may still end in a newline a form adds', async () => {
      for (const bad of ['Ac\tme', 'Acme\nInc', 'Acme\r\nInc', 'Acme\u2028Inc']) {
        expectError(
          await t.http.post('/api/v1/tenants').set('Authorization', t.admin).send({ key: 'tab-tenant', name: bad }),
          400,
          /^name must be a single line of text/,
        );
        expectError(
          await t.http.post('/api/v1/organizations').set('Authorization', tenant.auth).send({ name: bad }),
          400,
          /^name must be a single line of text/,
        );
        expectError(
          await t.http.post(`/api/v1/tenants/${tenant.key}/api-keys`).set('Authorization', t.admin).send({ label: bad }),
          400,
          /^label must be a single line of text/,
        );
        expectError(
          await t.http.post('/api/v1/users').set('Authorization', tenant.auth).send({ email: 'tab@example.com', firstName: bad }),
          400,
          /^firstName must be a single line of text/,
        );
      }
      const org = await t.http.post('/api/v1/organizations').set('Authorization', tenant.auth).send({ name: 'Trailing Newline Ltd\n' });
      expect(org.status).toBe(201);
      expect(org.body.name).toBe('Trailing Newline Ltd');
    });

    it('names a nested field, and judges query strings the same way', async () => {
      expectError(
        await t.http
          .post('/api/v1/organizations')
          .set('Authorization', tenant.auth)
          .send({ name: 'Nested', plan: { currency: 'E\u0000R' } }),
        400,
        /^plan\.currency must not contain NUL or other control characters$/,
      );
      expectError(await t.http.get('/api/v1/users?email=a%00b').set('Authorization', tenant.auth), 400, /^email /);
      expectError(await t.http.get('/api/v1/organizations?search=a%07b').set('Authorization', tenant.auth), 400, /^search /);
    });

    it('covers the anonymous routes: autologin and register', async () => {
      const body = { login: 'ctl', firstName: 'A', lastName: 'B', token: 'not-a-token' };
      expectError(await t.http.post('/api/auth/autologin').send({ ...body, login: 'ct\u0000l' }), 400, /^login /);
      expectError(await t.http.post('/api/auth/autologin').send({ ...body, firstName: '\ud800' }), 400, /^firstName /);
      expectError(
        await t.http
          .post('/api/auth/register')
          .send({ email: 'ok@example.com', firstName: 'A', lastName: 'B', organizationName: 'Org\u0000', password: 'a-long-password-1' }),
        400,
        /^organizationName /,
      );
    });

    it('answers POST /external-login by its contract, never a 500', async () => {
      const site = await makeOrganization(t, tenant.auth);
      await t.http.put('/api/v1/settings/external-login').set('Authorization', t.admin).send({ enabled: true }).expect(200);
      const attempts = [
        { username: 'ada\u0000', password: 'a-long-password-1' },
        { username: '\u0000', password: 'a-long-password-1' },
        { username: 'a\ud800', password: 'a-long-password-1' },
        { username: 'ada', password: 'pass\u0000word' },
      ];
      for (const attempt of attempts) {
        const res = await t.http
          .post('/external-login')
          .send({ site_id: site.siteId, ...attempt })
          .expect(200);
        expect(res.body).toEqual({ login_successful: false, reason: 'Required inputs missing' });
      }
      const deep = await t.http.post('/external-login').set('Content-Type', 'application/json').send(nested(5000)).expect(200);
      expect(deep.body).toEqual({ login_successful: false, reason: 'Required inputs missing' });
    });

    it('answers a console form with a 400 page, not a 500', async () => {
      const admin = new WebSession(t);
      expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
      const res = await admin.submit('/console/tenants', { key: 'console-nul', name: 'Console\u0000Tenant' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('name must not contain NUL or other control characters');
      expectError(await t.http.get('/api/v1/tenants/console-nul').set('Authorization', t.admin), 404);
    });
  });

  describe('redirects', () => {
    it('sends the billable toggle only back to a same-origin path, with htmx (HX-Redirect) or without (Location)', async () => {
      const user = await makeUser(t, tenant.auth);
      const admin = new WebSession(t);
      await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      const csrf = csrfOf((await admin.get('/console/users')).text);
      // An invalid switch value makes the toggle answer with a redirect rather than the row.
      const toggle = (back: string, htmx: boolean) => {
        const req = admin.agent.post(`/console/users/${user.id}/billable`).type('form').set('Accept', 'text/html');
        return (htmx ? req.set('HX-Request', 'true') : req).send({ _csrf: csrf, billable: 'maybe', back });
      };
      for (const back of ['/\t/evil.test', '\\\\evil.test', '/\\evil.test', '//evil.test', 'https://evil.test', '/\n/evil.test']) {
        const htmx = await toggle(back, true);
        expect({ back, status: htmx.status, to: htmx.headers['hx-redirect'] }).toEqual({ back, status: 204, to: '/console/users' });
        const plain = await toggle(back, false);
        expect({ back, status: plain.status, to: plain.headers.location }).toEqual({ back, status: 303, to: '/console/users' });
      }
      const kept = await toggle('/console/users?offset=50', true);
      expect(kept.headers['hx-redirect']).toBe('/console/users?offset=50');
    });
  });

  describe('a request body that never completes', () => {
    it('is answered 408 and its connection closed after the configured time', async () => {
      const { port } = new URL(t.baseUrl);
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        'POST /api/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":',
      );
      // Generous: the point is that it is closed at all, long before Node's own defaults would.
      const limit = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 15_000).unref());
      try {
        expect(await Promise.race([closed.then(() => 'closed'), limit])).toBe('closed');
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      } finally {
        socket.destroy();
      }
    });
  });
});
