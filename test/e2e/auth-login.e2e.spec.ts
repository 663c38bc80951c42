import { HttpSession } from '@portico/auth';
import { DataSource } from 'typeorm';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, type Form, realProblems, WebSession, withCookie } from '../support/web-session';

const PASSWORD = 'Velvet-Otter-42-river';
const WRONG = 'The email, username or password is not right.';

/** Signing in and out at /login as a person with a browser would, and as someone trying to break in. */
describe.each(databaseKinds())('end-user sign-in (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let user: { id: string; email: string };
  let ipCounter = 0;
  // Each test signs in from its own address, so brute-force counters of one test never touch another.
  const browser = () => new WebSession(t, `10.1.0.${++ipCounter}`);

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    const org = await makeOrganization(t, t.admin, { name: 'Otter Works' });
    user = await makeUser(t, t.admin, {
      email: 'ada@otter.example',
      username: 'ada',
      firstName: 'Ada',
      lastName: 'Otter',
      password: PASSWORD,
      organizationId: org.id,
      role: 'owner',
    });
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('shows the sign-in form with a CSRF token', async () => {
    const res = await browser().get('/login');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Sign in</h1>');
    expect(csrfOf(res.text)).toMatch(/.{16,}/);
    expect(res.text).toMatch(/name="login"/);
    expect(res.text).toMatch(/name="password"/);
  });

  it('signs a user in with email or username and shows the account with its organizations', async () => {
    for (const login of ['ada@otter.example', 'ADA@Otter.Example', '  ada@otter.example ', 'ada']) {
      const b = browser();
      const res = await b.login(login, PASSWORD);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      const account = await b.get('/account');
      expect(account.status).toBe(200);
      expect(account.text).toContain('data-testid="email">ada@otter.example<');
      expect(account.text).toContain('Otter Works');
      expect(account.text).toMatch(/<td>owner<\/td>/);
    }
  });

  it('sets the session cookie HttpOnly and SameSite=Lax', async () => {
    const b = browser();
    const res = await b.login(user.email, PASSWORD);
    const cookie = [res.headers['set-cookie']].flat().find((c: string) => c.startsWith('portico.sid='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
  });

  it('refuses a wrong password, an unknown user and a user without a password with the same words', async () => {
    const noPassword = await makeUser(t, t.admin, { email: 'nopass@otter.example' });
    const answers: { status: number; alert: string | null; login: string }[] = [];
    for (const [login, password] of [
      [user.email, 'wrong-password-123'],
      ['nobody@otter.example', 'wrong-password-123'],
      [noPassword.email, 'wrong-password-123'],
      [user.email, PASSWORD.toLowerCase()],
      [user.email, ` ${PASSWORD}`],
    ]) {
      const b = browser();
      const res = await b.login(login, password);
      answers.push({ status: res.status, alert: alertOf(res.text), login });
      // The person stays on the form, with what they typed as the login (never the password).
      expect(res.text).toContain(`value="${login.trim()}"`);
      expect(res.text).not.toContain('wrong-password-123');
      expect((await b.get('/account')).status).toBe(303);
    }
    for (const a of answers) expect(a).toEqual({ status: 401, alert: WRONG, login: a.login });
  });

  it('refuses a disabled account with a clear message, only after the right password', async () => {
    const disabled = await makeUser(t, t.admin, { email: 'gone@otter.example', password: PASSWORD, status: 'disabled' });
    const wrong = await browser().login(disabled.email, 'not-the-password-1');
    expect(wrong.status).toBe(401);
    const right = await browser().login(disabled.email, PASSWORD);
    expect(right.status).toBe(403);
    expect(alertOf(right.text)).toMatch(/disabled/);
  });

  it('ends the session of a user who is disabled while signed in', async () => {
    const later = await makeUser(t, t.admin, { email: 'later@otter.example', password: PASSWORD });
    const b = browser();
    expect((await b.login(later.email, PASSWORD)).status).toBe(303);
    expect((await b.get('/account')).status).toBe(200);
    await t.http.patch(`/api/v1/users/${later.id}`).set('Authorization', t.admin).send({ status: 'disabled' }).expect(200);
    const res = await b.get('/account');
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/login\?next=/);
  });

  it('issues a new session id at sign-in; the id from before no longer signs anyone in', async () => {
    const b = browser();
    await b.get('/login');
    const before = b.sessionCookie();
    expect(before).toBeTruthy();
    const res = await b.submit('/login', { login: user.email, password: PASSWORD });
    expect(res.status).toBe(303);
    const after = b.sessionCookie();
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect((await withCookie(t, after!).get('/account')).status).toBe(200);
    const planted = await withCookie(t, before!).get('/account');
    expect(planted.status).toBe(303);
    expect(planted.headers.location).toMatch(/^\/login/);
  });

  it('signs out server-side: the old cookie, replayed, leads back to the sign-in page', async () => {
    const b = browser();
    await b.login(user.email, PASSWORD);
    const sid = b.sessionCookie()!;
    expect((await withCookie(t, sid).get('/account')).status).toBe(200);
    const out = await b.logout();
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/login?signedOut=1');
    const page = await b.get(out.headers.location);
    expect(page.text).toContain('You are signed out.');
    const replay = await withCookie(t, sid).get('/account');
    expect(replay.status).toBe(303);
    expect(replay.headers.location).toBe('/login?next=%2Faccount');
    expect((await b.get('/account')).status).toBe(303);
  });

  it('sends a signed-out visitor of /account to the sign-in page and back after signing in', async () => {
    const b = browser();
    const res = await b.get('/account/authenticator');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Fauthenticator');
    const form = await b.get(res.headers.location);
    expect(form.text).toContain('name="next" value="/account/authenticator"');
    const done = await b.postRaw('/login', {
      _csrf: csrfOf(form.text),
      login: user.email,
      password: PASSWORD,
      next: '/account/authenticator',
    });
    expect(done.headers.location).toBe('/account/authenticator');
  });

  it('never redirects to another site after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const b = browser();
      const res = await b.submit('/login', { login: user.email, password: PASSWORD, next });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
    }
  });

  it('refuses forms without the CSRF token of the session', async () => {
    const b = browser();
    await b.get('/login');
    const missing = await b.postRaw('/login', { login: user.email, password: PASSWORD });
    expect(missing.status).toBe(403);
    expect(missing.text).toMatch(/Reload the page/);
    const other = new WebSession(t);
    const foreignToken = await other.csrf();
    expect((await b.postRaw('/login', { _csrf: foreignToken, login: user.email, password: PASSWORD })).status).toBe(403);
    // Signing out is a form too: a cross-site POST cannot sign anyone out.
    await b.login(user.email, PASSWORD);
    expect((await b.postRaw('/logout', {})).status).toBe(403);
    expect((await b.get('/account')).status).toBe(200);
  });

  it('answers bad input on the sign-in form with a clear 4xx, never a 500', async () => {
    const b = browser();
    const csrf = await b.csrf();
    const cases: [Form | string, number, RegExp][] = [
      [{ password: PASSWORD }, 400, /login is required/],
      [{ login: user.email }, 400, /password is required/],
      [{ login: '', password: '' }, 400, /login is required/],
      [{ login: [user.email, 'x'], password: PASSWORD }, 400, /login must be text/],
      [{ login: user.email, password: [PASSWORD, PASSWORD] }, 400, /password must be text/],
      [{ login: 'x'.repeat(321), password: PASSWORD }, 400, /login must be at most 320/],
      [{ login: user.email, password: 'p'.repeat(257) }, 400, /password must be at most 256/],
      [{ login: user.email, password: PASSWORD, next: ['/a', '/b'] }, 400, /next must be text/],
    ];
    for (const [form, status, message] of cases) {
      const res = await b.postRaw('/login', typeof form === 'string' ? form : { _csrf: csrf, ...form });
      expect({ status: res.status, text: res.text }).toMatchObject({ status, text: expect.stringMatching(message) });
    }
    // A body over the limit, JSON instead of a form, a body that is not even JSON.
    const huge = await b.postRaw('/login', { _csrf: csrf, login: 'x'.repeat(200 * 1024), password: PASSWORD });
    expect(huge.status).toBe(413);
    const json = await b.agent
      .post('/login')
      .set('Accept', 'text/html')
      .set('X-Forwarded-For', b.ip!)
      .send({ _csrf: csrf, login: { $ne: null }, password: PASSWORD });
    expect(json.status).toBe(400);
    expect(json.text).toMatch(/login must be text/);
    const broken = await b.agent.post('/login').set('Content-Type', 'application/json').set('X-Forwarded-For', b.ip!).send('{"login": ');
    expect(broken.status).toBe(400);
    const plain = await b.agent.post('/login').set('Content-Type', 'text/plain').set('X-Forwarded-For', b.ip!).send('login=a&password=b');
    expect(plain.status).toBe(403);
    // And the person can still sign in afterwards.
    expect((await b.login(user.email, PASSWORD)).status).toBe(303);
  });

  describe('tenant sign-in pages', () => {
    let tenantUser: { id: string; email: string };
    beforeAll(async () => {
      tenantUser = await makeUser(t, tenant.auth, { email: 'tess@portal.example', password: PASSWORD });
    });

    it("signs a tenant's user in on the tenant's page, and nowhere else", async () => {
      const page = await browser().get(`/t/${tenant.key}/login`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`action="/t/${tenant.key}/login"`);
      const b = browser();
      const res = await b.login(tenantUser.email, PASSWORD, `/t/${tenant.key}/login`);
      expect(res.status).toBe(303);
      expect((await b.get('/account')).text).toContain('tess@portal.example');
      // On the direct page the same email names nobody.
      const direct = await browser().login(tenantUser.email, PASSWORD);
      expect(direct.status).toBe(401);
      expect(alertOf(direct.text)).toBe(WRONG);
      // A direct user is nobody on the tenant's page.
      const other = await browser().login(user.email, PASSWORD, `/t/${tenant.key}/login`);
      expect(other.status).toBe(401);
    });

    it('answers 404 for a tenant that does not exist', async () => {
      expect((await browser().get('/t/no-such-tenant/login')).status).toBe(404);
      const b = browser();
      const csrf = await b.csrf();
      expect((await b.postRaw('/t/no-such-tenant/login', { _csrf: csrf, login: 'a', password: 'b' })).status).toBe(404);
    });
  });

  describe('when the password method is turned off', () => {
    afterEach(async () => {
      await t.http
        .put('/api/v1/settings/authentication')
        .set('Authorization', t.admin)
        .send({ methods: { password: true, saml: false, ldap: false, external: false } })
        .expect(200);
      await t.http.put(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).send({ methods: null }).expect(200);
    });

    it('refuses password sign-in from the next request on, with a clear message, and never says whether the password was right', async () => {
      const b = browser();
      expect((await b.login(user.email, PASSWORD)).status).toBe(303);
      await t.http
        .put('/api/v1/settings/authentication')
        .set('Authorization', t.admin)
        .send({ methods: { password: false, saml: true, ldap: false, external: false } })
        .expect(200);
      const right = await browser().login(user.email, PASSWORD);
      const wrong = await browser().login(user.email, 'wrong-password-123');
      const unknown = await browser().login('nobody@otter.example', 'wrong-password-123');
      for (const res of [right, wrong, unknown]) {
        expect(res.status).toBe(403);
        expect(alertOf(res.text)).toMatch(/Signing in with a password is turned off/);
      }
      // Platform admins still get into the console.
      const admin = browser();
      const console = await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(console.status).toBe(303);
      expect(console.headers.location).toBe('/console');
      expect((await admin.get('/console')).status).toBe(200);
      // Turned back on: the next request signs in again.
      await t.http
        .put('/api/v1/settings/authentication')
        .set('Authorization', t.admin)
        .send({ methods: { password: true, saml: true, ldap: false, external: false } })
        .expect(200);
      expect((await browser().login(user.email, PASSWORD)).status).toBe(303);
    });

    it("follows a tenant's own switch, leaving other pages alone", async () => {
      const tenantUser = await makeUser(t, tenant.auth, { email: 'tom@portal.example', password: PASSWORD });
      await t.http
        .put(`/api/v1/tenants/${tenant.key}/settings`)
        .set('Authorization', t.admin)
        .send({ methods: { password: false, saml: true, ldap: false, external: false } })
        .expect(200);
      const refused = await browser().login(tenantUser.email, PASSWORD, `/t/${tenant.key}/login`);
      expect(refused.status).toBe(403);
      expect(alertOf(refused.text)).toMatch(/turned off/);
      expect((await browser().login(user.email, PASSWORD)).status).toBe(303);
    });
  });

  describe('the console sign-in', () => {
    it('lets platform admins in and refuses everyone else with the usual words', async () => {
      const admin = browser();
      expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
      const b = browser();
      const res = await b.submit('/console/login', { email: user.email, password: PASSWORD });
      expect(res.status).toBe(401);
      expect(alertOf(res.text)).toBe(WRONG);
      expect((await b.get('/console')).status).toBe(303);
    });

    it('answers bad input with a clear 400', async () => {
      const b = browser();
      const csrf = await b.csrf('/console/login');
      const forms: Form[] = [{}, { email: [ADMIN_EMAIL, 'x'], password: 'x' }, { email: ADMIN_EMAIL, password: 'x'.repeat(300) }];
      for (const form of forms) {
        expect((await b.postRaw('/console/login', { _csrf: csrf, ...form })).status).toBe(400);
      }
    });
  });

  describe('session timeouts', () => {
    // Waiting hours (absolute) or minutes (idle) does not belong in a test: the stored session is
    // aged instead, as the clock would age it, and the server must refuse it on the next request.
    const sessions = () => t.app.get(DataSource).getRepository(HttpSession);
    const sidOf = (cookie: string) => /^s%3A([^.]+)\./.exec(cookie)![1];

    it('ends a session signed in longer ago than the absolute timeout, however active it was', async () => {
      const b = browser();
      await b.login(user.email, PASSWORD);
      expect((await b.get('/account')).status).toBe(200);
      const sid = sidOf(b.sessionCookie()!);
      const row = await sessions().findOneByOrFail({ sid });
      const data = JSON.parse(row.data);
      data.authenticatedAt -= (t.config.sessionAbsoluteHours * 3600 + 60) * 1000;
      await sessions().update({ sid }, { data: JSON.stringify(data) });
      const res = await b.get('/account');
      expect(res.status).toBe(303);
      expect(res.headers.location).toMatch(/^\/login\?next=/);
      // Ended server-side, not just refused once.
      expect(await sessions().findOneBy({ sid })).toBeNull();
    });

    it('ends a session left idle past its lifetime', async () => {
      const b = browser();
      await b.login(user.email, PASSWORD);
      const sid = sidOf(b.sessionCookie()!);
      await sessions().update({ sid }, { expiresAt: new Date(Date.now() - 1000) });
      const res = await b.get('/account');
      expect(res.status).toBe(303);
      expect(res.headers.location).toMatch(/^\/login\?next=/);
    });
  });

  describe('session idle timeout', () => {
    afterAll(async () => {
      await t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ sessionIdleMinutes: 30 }).expect(200);
    });

    it('follows Global Configuration from the next request on', async () => {
      // Waiting out an idle timeout (5 minutes at least) does not belong in a test; the cookie's
      // lifetime, renewed on each request, shows what the browser and the store are told.
      const b = browser();
      await b.login(user.email, PASSWORD);
      await t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ sessionIdleMinutes: 7 }).expect(200);
      const res = await b.get('/account');
      expect(res.status).toBe(200);
      const cookie = [res.headers['set-cookie']].flat().find((c: string) => c?.startsWith('portico.sid='));
      const expires = Date.parse(/Expires=([^;]+)/.exec(cookie ?? '')?.[1] ?? '');
      const minutes = (expires - Date.parse(res.headers.date)) / 60_000;
      expect(Math.round(minutes)).toBe(7);
    });
  });
});
