import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

const SETTINGS = '/console/settings/authentication';
const VALID = {
  password: 'on',
  signupEnabled: 'on',
  sessionIdleMinutes: '30',
  maxPasswordFailures: '5',
  maxAuthenticatorFailures: '5',
  baseWaitSeconds: '30',
  maxWaitSeconds: '900',
};
const CSRF_REFUSED = 'This form has expired or did not come from Portico';

/** The console's authentication forms over HTTP: what a wrong value, a missing token or a wrong link shows. */
describe.each(databaseKinds())('console authentication settings forms (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    admin = new WebSession(t);
    const signedIn = await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(signedIn.headers.location).toBe('/console');
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  const globalSettings = async () => (await t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200)).body;
  const tenantSettings = async () =>
    (await t.http.get(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).expect(200)).body;
  /** The error texts the page shows in its alert box. */
  const alertTexts = (html: string) => {
    const box = /role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
    return [...box.matchAll(/<(li|p)>([\s\S]*?)<\/\1>/g)].map((m) => decode(m[2].trim()));
  };

  describe('Global Configuration › Authentication', () => {
    it.each([
      [{ sessionIdleMinutes: 'abc' }, 'Idle timeout (minutes) must be a whole number.'],
      [{ sessionIdleMinutes: '2' }, 'Idle timeout (minutes): must not be less than 5'],
      [{ sessionIdleMinutes: '' }, 'Idle timeout (minutes) is required.'],
      [{ maxPasswordFailures: '1000' }, 'Wrong passwords before lockout: must not be greater than 100'],
      [{ maxAuthenticatorFailures: '1.5' }, 'Wrong codes before lockout must be a whole number.'],
      [{ maxWaitSeconds: '99999999999' }, 'Longest lockout (seconds): must not be greater than 86400'],
      [{ maxPasswordFailures: '-3' }, 'Wrong passwords before lockout: must not be less than 1'],
      [
        { sessionIdleMinutes: 'ten', maxPasswordFailures: '1000' },
        ['Idle timeout (minutes) must be a whole number.', 'Wrong passwords before lockout: must not be greater than 100'],
      ],
      [{ baseWaitSeconds: '600', maxWaitSeconds: '60' }, 'First lockout (seconds) must not be longer than longest lockout (seconds).'],
    ])('refuses %j with a 400 that says why, keeps what was typed and saves nothing', async (bad, message) => {
      const before = await globalSettings();
      const res = await admin.submit(SETTINGS, { ...VALID, signupEnabled: '', ...bad });
      expect(res.status).toBe(400);
      expect(alertTexts(res.text)).toEqual([message].flat());
      // Still the console, with its menu, and the form as the admin left it.
      expect(res.text).toContain('class="sidenav"');
      for (const [name, value] of Object.entries(bad))
        expect(res.text).toMatch(new RegExp(`name="${name}"[^>]*value="${escapeRegExp(value)}"`));
      expect(res.text).not.toMatch(/name="signupEnabled" checked/);
      expect(await globalSettings()).toEqual(before);
    });

    it('saves good values with a flash, and they show on the page and in the API', async () => {
      const res = await admin.submit(SETTINGS, { ...VALID, sessionIdleMinutes: '45', maxPasswordFailures: '7' });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(SETTINGS);
      const page = await admin.get(SETTINGS);
      expect(page.text).toContain('Authentication settings saved. They apply from the next request on.');
      expect(page.text).toMatch(/name="sessionIdleMinutes"[^>]*value="45"/);
      expect(await globalSettings()).toMatchObject({ sessionIdleMinutes: 45, lockout: { maxPasswordFailures: 7 }, signupEnabled: true });
      await admin.submit(SETTINGS, VALID);
    });

    it('saves every sign-in method off with a warning in words, not a green “saved”', async () => {
      const { password: _on, ...noMethod } = VALID;
      expect((await admin.submit(SETTINGS, noMethod)).status).toBe(303);
      const page = decode((await admin.get(SETTINGS)).text);
      expect(page).toMatch(
        /class="flash warning" role="alert">\s*<p>Saved, but every sign-in method is off: from the next request on, nobody can sign in/,
      );
      expect((await globalSettings()).methods).toMatchObject({ password: false, saml: false, ldap: false, external: false });
      await admin.submit(SETTINGS, VALID);
    });

    it('refuses a post without its CSRF token with a 403 and changes nothing', async () => {
      const before = await globalSettings();
      const res = await admin.postRaw(SETTINGS, { ...VALID, sessionIdleMinutes: '99' });
      expect(res.status).toBe(403);
      expect(decode(res.text)).toContain(CSRF_REFUSED);
      expect(await globalSettings()).toEqual(before);
    });
  });

  describe("a tenant's overrides", () => {
    const path = () => `/console/tenants/${tenant.key}/settings`;
    const detail = () => `/console/tenants/${tenant.key}`;

    it.each([
      [{ signup: 'maybe', methods: 'inherit' }, 'Sign-up page: choose Inherit global, On or Off.'],
      [{ methods: 'inherit' }, 'Sign-up page: choose Inherit global, On or Off.'],
      [{ signup: 'on', methods: 'everything' }, 'Sign-in methods: choose Inherit global or Custom.'],
      [{ signup: ['on', 'off'], methods: 'inherit' }, 'Sign-up page: choose Inherit global, On or Off.'],
    ])('refuses %j with a 400 that says why and saves nothing', async (bad, message) => {
      const res = await admin.submit(path(), bad, detail());
      expect(res.status).toBe(400);
      expect(alertTexts(res.text)).toContain(message);
      expect(res.text).toContain('<h2 id="authentication">Authentication</h2>');
      expect(await tenantSettings()).toMatchObject({ signupEnabled: null, methods: null });
    });

    it('saves an override, shows the effective result, and Inherit stores null again', async () => {
      const res = await admin.submit(path(), { signup: 'off', methods: 'custom', saml: 'on', ldap: 'on' }, detail());
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(detail());
      expect(await tenantSettings()).toMatchObject({
        signupEnabled: false,
        methods: { password: false, saml: true, ldap: true, external: false },
        effective: { signupEnabled: false },
      });
      const page = decode((await admin.get(detail())).text);
      expect(page).toContain(
        'Authentication settings saved. Sign-up is off; sign-in with SAML, LDAP. This applies from the next request on.',
      );
      expect(page).toMatch(/data-testid="effective-signup">.*off.*\(set for this tenant\)/);
      expect(page).toMatch(/name="signup" value="off" checked/);
      expect(page).toMatch(/name="methods" value="custom" checked/);
      expect(page).not.toContain(`href="/t/${tenant.key}/signup"`);
      expect(page).toContain(`href="/t/${tenant.key}/login"`);

      expect((await admin.submit(path(), { signup: 'inherit', methods: 'inherit', password: 'on' }, detail())).status).toBe(303);
      expect(await tenantSettings()).toMatchObject({ signupEnabled: null, methods: null, effective: { signupEnabled: true } });
      const inherited = decode((await admin.get(detail())).text);
      expect(inherited).toContain('Sign-up is on (as set globally); sign-in with password (as set globally).');
      expect(inherited).toContain(`href="/t/${tenant.key}/signup"`);
    });

    it('says so when no method is left on', async () => {
      await admin.submit(path(), { signup: 'inherit', methods: 'custom' }, detail());
      const page = decode((await admin.get(detail())).text);
      expect(page).toContain('no sign-in method is on: its users cannot sign in');
      expect(page).toMatch(/data-testid="effective-methods">.*this tenant's users cannot sign in/);
      await admin.submit(path(), { signup: 'inherit', methods: 'inherit' }, detail());
    });

    it('refuses a post without its CSRF token with a 403 and changes nothing', async () => {
      const res = await admin.postRaw(path(), { signup: 'off', methods: 'inherit' });
      expect(res.status).toBe(403);
      expect(decode(res.text)).toContain(CSRF_REFUSED);
      expect(await tenantSettings()).toMatchObject({ signupEnabled: null });
    });

    it('answers an unknown tenant with a 404 inside the console', async () => {
      const csrf = await admin.csrf(detail());
      const res = await admin.postRaw('/console/tenants/no-such-tenant/settings', { _csrf: csrf, signup: 'off', methods: 'inherit' });
      expect(res.status).toBe(404);
      expect(res.text).toContain('class="sidenav"');
      expect(decode(res.text)).toContain('Tenant "no-such-tenant" not found');
    });
  });

  describe('resetting an authenticator', () => {
    it('refuses a post without its CSRF token with a 403', async () => {
      const user = await makeUser(t, t.admin, { password: 'Velvet-Otter-42-river' });
      const res = await admin.postRaw(`/console/users/${user.id}/authenticator/reset`, {});
      expect(res.status).toBe(403);
      expect(decode(res.text)).toContain(CSRF_REFUSED);
    });

    it('says there is nothing to reset for a user without an authenticator', async () => {
      const user = await makeUser(t, t.admin, { password: 'Velvet-Otter-42-river' });
      const res = await admin.submit(`/console/users/${user.id}/authenticator/reset`, {}, `/console/users/${user.id}/authenticator/reset`);
      expect(res.status).toBe(303);
      expect(decode((await admin.get(`/console/users/${user.id}`)).text)).toContain(
        `${user.email} has no authenticator app: nothing to reset.`,
      );
    });
  });

  describe('error pages under /console', () => {
    it('keep the console menu for a signed-in admin', async () => {
      const missing = await admin.get('/console/tenants/no-such-tenant');
      expect(missing.status).toBe(404);
      expect(missing.text).toContain('class="sidenav"');
      expect(missing.text).toMatch(/<a href="\/console\/tenants" class="active/);
      expect(missing.text).toMatch(new RegExp(`<a class="who" href="/console/me"[^>]*>${ADMIN_EMAIL}</a>`));
      expect(decode(missing.text)).toContain('Tenant "no-such-tenant" not found');

      const badId = await admin.get('/console/users/not-a-uuid/delete');
      expect(badId.status).toBe(400);
      expect(badId.text).toContain('class="sidenav"');
      expect(badId.text).toContain('id must be a UUID');
    });

    it('stay public for everyone else, and public pages keep theirs', async () => {
      const anonymous = new WebSession(t);
      const redirected = await anonymous.get('/console/tenants/no-such-tenant');
      expect(redirected.status).toBe(303);
      expect(redirected.headers.location).toMatch(/^\/console\/login\?next=/);

      const password = 'Velvet-Otter-42-river';
      const user = await makeUser(t, t.admin, { password });
      const person = new WebSession(t);
      expect((await person.login(user.email, password)).status).toBe(303);
      const refused = await person.get('/console/tenants');
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain('class="sidenav"');
      expect(refused.text).toContain('The console is for platform administrators');

      const publicMissing = await admin.get('/t/no-such-tenant/login');
      expect(publicMissing.status).toBe(404);
      expect(publicMissing.text).not.toContain('class="sidenav"');
      expect(publicMissing.text).toContain('<body class="public">');
    });

    it('answer JSON callers with JSON as before', async () => {
      const res = await admin.agent.get('/console/tenants/no-such-tenant').set('Accept', 'application/json');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    });
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
