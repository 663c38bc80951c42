import { UnsecuredJWT } from 'jose';
import type { AuditEventBody } from '../support/api-checks';
import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { autologinJwt, loginPath, rotateAutologinSecret } from '../support/portal';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

/** POST /api/auth/autologin and GET /auth/session/{id}: a portal signs its user in with one request and one link. */
describe.each(databaseKinds())('autologin (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let secret: string;
  let n = 0;
  const person = () => {
    const i = ++n;
    return { login: `auto-${i}@heron.example`, firstName: 'Hera', lastName: `Heron ${i}` };
  };
  const autologin = (body: Record<string, unknown>) => t.http.post('/api/auth/autologin').send(body);
  const issue = async (body: Record<string, unknown>) => {
    const res = await autologin(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return res.body as { sessionId: string; loginUrl: string; expiresAt: string };
  };
  const audit = async (action: string): Promise<AuditEventBody[]> =>
    (await t.http.get('/api/v1/audit-events').query({ action, limit: 500 }).set('Authorization', t.admin).expect(200)).body.items;

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    secret = await rotateAutologinSecret(t, tenant.key);
  });
  afterAll(async () => t?.close());
  afterEach(() => {
    jest.restoreAllMocks();
    t.clock.reset();
    expect(realProblems(problems.splice(0))).toEqual([]);
  });

  describe('the autologin secret', () => {
    it('is rotated by the platform admin only, shown once, and replaces the previous one at once', async () => {
      const other = await makeTenant(t);
      expectError(await t.http.post(`/api/v1/tenants/${other.key}/autologin-secret`), 401);
      expectError(await t.http.post(`/api/v1/tenants/${other.key}/autologin-secret`).set('Authorization', other.auth), 403);
      expectError(await t.http.post('/api/v1/tenants/no-such-tenant/autologin-secret').set('Authorization', t.admin), 404);
      const first = await rotateAutologinSecret(t, other.key);
      expect(first).toMatch(/^als_[A-Za-z0-9_-]{40,}$/);
      await issue({ ...person(), token: first });
      const second = await rotateAutologinSecret(t, other.key);
      expect(second).not.toBe(first);
      expectError(await autologin({ ...person(), token: first }), 401);
      await issue({ ...person(), token: second });
      // Nothing else ever shows it.
      const settings = await t.http.get(`/api/v1/tenants/${other.key}/settings`).set('Authorization', t.admin).expect(200);
      expect(JSON.stringify(settings.body)).not.toContain(second);
      expect((await audit('tenant.autologin_secret.rotated')).filter((e) => e.tenantKey === other.key)).toHaveLength(2);
    });
  });

  describe('on the tenant console page', () => {
    it('shows whether a secret is set, creates and replaces it with the secret shown once', async () => {
      const other = await makeTenant(t);
      const admin = new WebSession(t);
      expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
      const page = `/console/tenants/${other.key}`;
      const before = await admin.get(page);
      expect(before.text).toMatch(/data-testid="autologin-status">[^]*no secret/);
      expect(before.text).toContain('Create a secret');

      const created = await admin.submit(`${page}/autologin-secret`, {}, page);
      expect(created.status).toBe(303);
      const shown = await admin.get(page);
      const first = decode(/data-testid="secret">(als_[^<]+)</.exec(shown.text)![1]);
      expect(shown.text).toMatch(/data-testid="autologin-status">[^]*secret set/);
      expect(shown.text).toContain('Replace the secret');
      await issue({ ...person(), token: first });
      // Shown once: the next view of the page no longer has it.
      expect((await admin.get(page)).text).not.toContain(first);

      await admin.submit(`${page}/autologin-secret`, {}, page);
      const second = decode(/data-testid="secret">(als_[^<]+)</.exec((await admin.get(page)).text)![1]);
      expect(second).not.toBe(first);
      expectError(await autologin({ ...person(), token: first }), 401);
      await issue({ ...person(), token: second });
      // The form needs the console's CSRF token like every other.
      expect((await admin.postRaw(`${page}/autologin-secret`, {})).status).toBe(403);
    });
  });

  describe('with the plain secret', () => {
    it('creates the user in the tenant and answers a one-time link that signs the browser in', async () => {
      const p = person();
      const res = await issue({ ...p, token: secret });
      expect(res.sessionId).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(res.loginUrl).toBe(`${t.config.publicUrl}/auth/session/${res.sessionId}`);
      const ttl = Date.parse(res.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);

      const users = await t.http.get('/api/v1/users').query({ email: p.login }).set('Authorization', tenant.auth).expect(200);
      expect(users.body.items).toMatchObject([{ email: p.login, firstName: p.firstName, lastName: p.lastName, tenantKey: tenant.key }]);

      const browser = new WebSession(t);
      expect((await browser.get('/account')).status).toBe(303);
      const landing = await browser.get(loginPath(res.loginUrl));
      expect(landing.status).toBe(303);
      expect(landing.headers.location).toBe('/account');
      const account = await browser.get('/account');
      expect(account.status).toBe(200);
      expect(account.text).toContain(`data-testid="email">${p.login}<`);
    });

    it('finds the same user again (no duplicate) and brings the names up to date', async () => {
      const p = person();
      await issue({ ...p, token: secret });
      await issue({ ...p, lastName: 'Renamed', token: secret });
      const users = await t.http.get('/api/v1/users').query({ email: p.login }).set('Authorization', tenant.auth).expect(200);
      expect(users.body.items).toMatchObject([{ email: p.login, lastName: 'Renamed' }]);
      expect(users.body.total).toBe(1);
    });

    it('signs in an existing user of the tenant, whoever created it', async () => {
      const existing = await makeUser(t, tenant.auth, { firstName: 'Existing', lastName: 'Person' });
      const res = await issue({ login: existing.email, firstName: 'Existing', lastName: 'Person', token: secret });
      const browser = new WebSession(t);
      await browser.get(loginPath(res.loginUrl));
      expect((await browser.get('/account')).text).toContain(existing.email);
    });

    it('answers 401 to a wrong secret, another tenant’s secret, and tenantKey naming another tenant', async () => {
      const other = await makeTenant(t);
      const otherSecret = await rotateAutologinSecret(t, other.key);
      expectError(await autologin({ ...person(), token: 'als_wrong' }), 401, /not valid/);
      expectError(await autologin({ ...person(), token: `${secret}x` }), 401);
      expectError(await autologin({ ...person(), token: otherSecret, tenantKey: tenant.key }), 401);
      expectError(await autologin({ ...person(), token: secret, tenantKey: other.key }), 401);
      expectError(await autologin({ ...person(), token: secret, tenantKey: 'no-such-tenant' }), 401);
      // The token identifies its tenant; tenantKey, when sent, must agree.
      await issue({ ...person(), token: secret, tenantKey: tenant.key });
      const refused = await audit('auth.autologin.refused');
      expect(refused.length).toBeGreaterThanOrEqual(5);
      expect(JSON.stringify(refused)).not.toContain(secret);
    });

    it('answers 400 naming the field for bad input, never creating anyone', async () => {
      expectError(await autologin({ firstName: 'A', lastName: 'B', token: secret }), 400, /login/);
      expectError(await autologin({ login: 'not-an-email', firstName: 'A', lastName: 'B', token: secret }), 400, /login/);
      expectError(await autologin({ ...person(), token: '' }), 400, /token/);
      expectError(await autologin({ ...person(), token: 42 }), 400, /token/);
      expectError(await autologin({ ...person(), firstName: '', token: secret }), 400, /firstName/);
      expectError(await autologin({ ...person(), token: secret, isPlatformAdmin: true }), 400, /isPlatformAdmin/);
      expectError(await autologin({ ...person(), token: 'x'.repeat(5000) }), 400, /token/);
    });

    it('answers 403 for a suspended tenant and a disabled user', async () => {
      const p = person();
      await issue({ ...p, token: secret });
      const user = (await t.http.get('/api/v1/users').query({ email: p.login }).set('Authorization', tenant.auth)).body.items[0];
      await t.http.patch(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).send({ status: 'disabled' }).expect(200);
      expectError(await autologin({ ...p, token: secret }), 403, /disabled/);

      const suspended = await makeTenant(t);
      const suspendedSecret = await rotateAutologinSecret(t, suspended.key);
      await t.http.patch(`/api/v1/tenants/${suspended.key}`).set('Authorization', t.admin).send({ status: 'suspended' }).expect(200);
      expectError(await autologin({ ...person(), token: suspendedSecret }), 403, /suspended/);
      // A wrong token for a suspended tenant is still just a wrong token.
      expectError(await autologin({ ...person(), token: 'als_nope', tenantKey: suspended.key }), 401);
    });
  });

  describe('redeeming the link', () => {
    it('works once: the second time is 410, for any browser', async () => {
      const res = await issue({ ...person(), token: secret });
      const first = new WebSession(t);
      expect((await first.get(loginPath(res.loginUrl))).status).toBe(303);
      const again = await first.get(loginPath(res.loginUrl));
      expect(again.status).toBe(410);
      expect(again.text).toContain('no longer valid');
      const thief = new WebSession(t);
      expect((await thief.get(loginPath(res.loginUrl))).status).toBe(410);
      expect((await thief.get('/account')).status).toBe(303);
      const json = await t.http.get(loginPath(res.loginUrl)).set('Accept', 'application/json');
      expect(json.status).toBe(410);
      expect(json.body).toMatchObject({ statusCode: 410, error: 'Gone' });
    });

    it('expires after 60 seconds (the clock moves instead of the test waiting)', async () => {
      const res = await issue({ ...person(), token: secret });
      t.clock.advance(61_000);
      const browser = new WebSession(t);
      expect((await browser.get(loginPath(res.loginUrl))).status).toBe(410);
      expect((await browser.get('/account')).status).toBe(303);
      const refused = (await audit('auth.autologin.refused')).map((e) => e.details?.reason);
      expect(refused).toContain('expired');

      // Just inside the minute it still works.
      const fresh = await issue({ ...person(), token: secret });
      t.clock.freeze(Date.parse(fresh.expiresAt) - 1_000);
      expect((await new WebSession(t).get(loginPath(fresh.loginUrl))).status).toBe(303);
    });

    it('answers 410 to an id that was never issued, and to nonsense', async () => {
      for (const id of ['A'.repeat(43), 'short', '..%2F..%2Fetc', '%00']) {
        expect((await new WebSession(t).get(`/auth/session/${id}`)).status).toBe(410);
      }
    });

    it('redirects only to a same-origin path given in ?next=', async () => {
      const cases: [string, string][] = [
        ['/account/authenticator', '/account/authenticator'],
        ['https://evil.example', '/account'],
        ['//evil.example', '/account'],
        ['/\\evil.example', '/account'],
        ['https:evil.example', '/account'],
        ['javascript:alert(1)', '/account'],
      ];
      for (const [next, expected] of cases) {
        const res = await issue({ ...person(), token: secret });
        const landing = await new WebSession(t).get(`${loginPath(res.loginUrl)}?next=${encodeURIComponent(next)}`);
        expect({ next, status: landing.status, location: landing.headers.location }).toEqual({ next, status: 303, location: expected });
      }
    });

    it('does not spend the link on a HEAD request', async () => {
      const res = await issue({ ...person(), token: secret });
      expect((await t.http.head(loginPath(res.loginUrl))).status).toBe(200);
      expect((await new WebSession(t).get(loginPath(res.loginUrl))).status).toBe(303);
    });

    it('starts a fresh session id, as the password login does, and is audited', async () => {
      const p = person();
      const res = await issue({ ...p, token: secret });
      const browser = new WebSession(t);
      await browser.csrf(`/t/${tenant.key}/login`);
      const before = browser.sessionCookie();
      expect(before).toBeTruthy();
      await browser.get(loginPath(res.loginUrl));
      expect(browser.sessionCookie()).not.toBe(before);
      const signedIn = await audit('auth.login.succeeded');
      expect(signedIn.find((e) => e.details?.method === 'autologin' && e.tenantKey === tenant.key)).toBeDefined();
      const issued = await audit('auth.autologin.issued');
      expect(issued.find((e) => e.details?.method === 'secret')).toBeDefined();
    });

    it('answers 403 when the user was disabled between issue and redemption', async () => {
      const p = person();
      const res = await issue({ ...p, token: secret });
      const user = (await t.http.get('/api/v1/users').query({ email: p.login }).set('Authorization', tenant.auth)).body.items[0];
      await t.http.patch(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).send({ status: 'disabled' }).expect(200);
      const browser = new WebSession(t);
      expect((await browser.get(loginPath(res.loginUrl))).status).toBe(403);
      expect((await browser.get('/account')).status).toBe(303);
    });
  });

  describe('with a JWT signed with the secret', () => {
    it('signs the user in', async () => {
      const p = person();
      const token = await autologinJwt(secret, tenant.key, { sub: p.login });
      const res = await issue({ ...p, token });
      const browser = new WebSession(t);
      expect((await browser.get(loginPath(res.loginUrl))).status).toBe(303);
      expect((await browser.get('/account')).text).toContain(p.login);
      expect((await audit('auth.autologin.issued')).find((e) => e.details?.method === 'jwt')).toBeDefined();
    });

    it('accepts a jti once: a replayed token is 401', async () => {
      const token = await autologinJwt(secret, tenant.key);
      const p = person();
      await issue({ ...p, token });
      expectError(await autologin({ ...p, token }), 401, /already used/);
      // Two at once: exactly one wins.
      const racing = await autologinJwt(secret, tenant.key);
      const answers = await Promise.all([autologin({ ...person(), token: racing }), autologin({ ...person(), token: racing })]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    });

    it('refuses an expired token, a wrong signature, and exp more than 5 minutes ahead', async () => {
      expectError(await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { expiresIn: -30 }) }), 401, /expired/);
      expectError(await autologin({ ...person(), token: await autologinJwt('als_not-the-secret', tenant.key) }), 401, /not valid/);
      expectError(await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { expiresIn: 3600 }) }), 401, /5 minutes/);
      expectError(
        await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { expiresIn: 301 + 10 }) }),
        401,
        /5 minutes/,
      );
      await issue({ ...person(), token: await autologinJwt(secret, tenant.key, { expiresIn: 300 }) });
    });

    it('refuses a token without exp or jti, another algorithm, alg none, or a tampered payload', async () => {
      expectError(await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { expiresIn: null }) }), 401, /exp/);
      expectError(await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { jti: null }) }), 401, /jti/);
      expectError(await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { alg: 'HS512' }) }), 401, /HS256/);
      const none = new UnsecuredJWT({ jti: 'x' }).setIssuer(tenant.key).setExpirationTime('2m').encode();
      expectError(await autologin({ ...person(), token: none }), 401, /HS256/);
      const [header, , signature] = (await autologinJwt(secret, tenant.key)).split('.');
      const forged = Buffer.from(JSON.stringify({ iss: tenant.key, jti: 'forged', exp: Math.floor(Date.now() / 1000) + 60 })).toString(
        'base64url',
      );
      expectError(await autologin({ ...person(), token: `${header}.${forged}.${signature}` }), 401);
      expectError(await autologin({ ...person(), token: 'a.b.c' }), 401);
    });

    it('refuses a token whose iss is another tenant, or whose sub is another user', async () => {
      const other = await makeTenant(t);
      const otherSecret = await rotateAutologinSecret(t, other.key);
      // Signed with this tenant's secret but claiming the other tenant: the signature fails there.
      expectError(await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { iss: other.key }) }), 401);
      expectError(await autologin({ ...person(), token: await autologinJwt(otherSecret, other.key), tenantKey: tenant.key }), 401);
      expectError(
        await autologin({ ...person(), token: await autologinJwt(secret, tenant.key, { sub: 'someone@else.example' }) }),
        401,
        /sub/,
      );
    });

    it('goes by the injected clock for exp', async () => {
      const token = await autologinJwt(secret, tenant.key, { expiresIn: 120 });
      t.clock.advance(10 * 60_000);
      expectError(await autologin({ ...person(), token }), 401, /expired/);
    });
  });

  describe('organizations and foreign ids', () => {
    it('makes the user a member of organizationName: owner when it is new, member when it exists', async () => {
      const org = `Heron Holdings ${++n}`;
      const a = person();
      const b = person();
      await issue({ ...a, token: secret, organizationName: org });
      await issue({ ...b, token: secret, organizationName: org });
      await issue({ ...b, token: secret, organizationName: org });
      const orgs = await t.http.get('/api/v1/organizations').query({ search: org }).set('Authorization', tenant.auth).expect(200);
      expect(orgs.body.items).toHaveLength(1);
      const members = await t.http
        .get(`/api/v1/organizations/${orgs.body.items[0].id}/members`)
        .set('Authorization', tenant.auth)
        .expect(200);
      expect(members.body.items.map((m: { email: string; role: string }) => [m.email, m.role]).sort()).toEqual(
        [
          [a.login, 'owner'],
          [b.login, 'member'],
        ].sort(),
      );
    });

    it('records userUid and groupUid in the identity map, and finds the user by uid when the email changed', async () => {
      const p = person();
      await issue({ ...p, token: secret, userUid: `u-${n}`, groupUid: `g-${n}`, organizationName: `Uid Org ${n}` });
      const links = await t.http.get('/api/v1/identity-links').query({ provider: 'portal' }).set('Authorization', tenant.auth).expect(200);
      expect(links.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ entityType: 'user', foreignId: `u-${n}` }),
          expect.objectContaining({ entityType: 'organization', foreignId: `g-${n}` }),
        ]),
      );
      await issue({ ...p, login: `changed-${n}@heron.example`, token: secret, userUid: `u-${n}` });
      const users = await t.http
        .get('/api/v1/users')
        .query({ email: `changed-${n}@heron.example` })
        .set('Authorization', tenant.auth);
      expect(users.body.items).toHaveLength(1);
      expect((await t.http.get('/api/v1/users').query({ email: p.login }).set('Authorization', tenant.auth)).body.items).toHaveLength(0);
    });

    it('answers 400 for a groupUid it does not know without an organizationName', async () => {
      expectError(await autologin({ ...person(), token: secret, groupUid: 'never-seen' }), 400, /name/);
    });

    it('creates each user once when the same new person signs in twice at the same time', async () => {
      const p = person();
      const answers = await Promise.all([issue({ ...p, token: secret }), issue({ ...p, token: secret }), issue({ ...p, token: secret })]);
      expect(new Set(answers.map((a) => a.sessionId)).size).toBe(3);
      const users = await t.http.get('/api/v1/users').query({ email: p.login }).set('Authorization', tenant.auth).expect(200);
      expect(users.body.total).toBe(1);
    });
  });
});
