import { watchResponses } from '../support/api-checks';
import { buildIntoTemp, startCli } from '../support/cli-build';
import { databaseKinds } from '../support/databases';
import { Phone } from '../support/phone';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, decode, realProblems, WebSession } from '../support/web-session';

const LAST_ADMIN = 'This is the last active platform administrator; create another one first';

/**
 * Platform administrators and their API tokens: who may make an administrator, the rule that one
 * always stays active, tokens made in the console working (and stopping) on the API, and
 * `npm run admin -- reset-password` run as an operator runs it (the compiled CLI in a child process).
 */
let build: { dir: string; remove(): void };
beforeAll(async () => {
  build = await buildIntoTemp();
}, 300_000);
afterAll(() => build?.remove());

describe.each(databaseKinds())('platform administrators (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let adminWeb: WebSession;
  let firstAdminId: string;

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    adminWeb = new WebSession(t);
    expect((await adminWeb.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
    const admins = await t.http
      .get(`/api/v1/users?email=${encodeURIComponent(ADMIN_EMAIL)}`)
      .set('Authorization', t.admin)
      .expect(200);
    firstAdminId = admins.body.items[0].id;
  }, 120_000);
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  const api = (auth = t.admin) => ({
    post: (path: string, body: object) => t.http.post(path).set('Authorization', auth).send(body),
    patch: (path: string, body: object) => t.http.patch(path).set('Authorization', auth).send(body),
    delete: (path: string) => t.http.delete(path).set('Authorization', auth),
  });

  it('creates a platform administrator for a platform-admin caller only; a tenant key gets 403 in words', async () => {
    const refused = await api(tenant.auth).post('/api/v1/users', {
      email: 'sneaky@tenant.example',
      password: 'long enough pass',
      isPlatformAdmin: true,
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'Only a platform administrator may create platform administrators (isPlatformAdmin)',
    });
    const user = await makeUser(t, tenant.auth, { email: 'member@tenant.example' });
    expect((await api(tenant.auth).patch(`/api/v1/users/${user.id}`, { isPlatformAdmin: true })).status).toBe(403);
    expect((await api().patch(`/api/v1/users/${user.id}`, { isPlatformAdmin: true })).body.message).toContain('belongs to no tenant');

    expect((await api().post('/api/v1/users', { email: 'nopass@portico.test', isPlatformAdmin: true })).body.message).toBe(
      'password: a platform administrator signs in with a password; give one',
    );
    expect(
      (await api().post('/api/v1/users', { email: 'x@portico.test', password: 'long enough pass', isPlatformAdmin: 'yes' })).body.message,
    ).toBe('isPlatformAdmin must be true or false');
    const created = await api().post('/api/v1/users', {
      email: 'grace@portico.test',
      password: 'second admin password',
      isPlatformAdmin: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'grace@portico.test', tenantKey: null, isPlatformAdmin: true, status: 'active' });
    expect(created.body).not.toHaveProperty('password');
    // The new administrator signs in to the adminWeb.
    const grace = new WebSession(t);
    expect(
      (await grace.submit('/console/login', { email: 'grace@portico.test', password: 'second admin password' })).headers.location,
    ).toBe('/console');
    expect((await grace.get('/console/administrators')).text).toContain('grace@portico.test');
  });

  it('keeps one active administrator: disabling, deleting or demoting the last one is a 409, in the API and the console', async () => {
    const second = (
      await api().post('/api/v1/users', { email: 'last@portico.test', password: 'last admin password', isPlatformAdmin: true })
    ).body;
    const grace = (await t.http.get('/api/v1/users?email=grace%40portico.test').set('Authorization', t.admin)).body.items[0];
    await api().patch(`/api/v1/users/${grace.id}`, { status: 'disabled' }).expect(200);
    await api().patch(`/api/v1/users/${firstAdminId}`, { isPlatformAdmin: false }).expect(200);
    // Two administrators disabling each other at the same moment: one of them stays.
    const both = await Promise.all([
      api().patch(`/api/v1/users/${firstAdminId}`, { isPlatformAdmin: true }),
      api().patch(`/api/v1/users/${grace.id}`, { status: 'active' }),
    ]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const racing = await Promise.all([
      api().patch(`/api/v1/users/${firstAdminId}`, { status: 'disabled' }),
      api().patch(`/api/v1/users/${grace.id}`, { status: 'disabled' }),
      api().patch(`/api/v1/users/${second.id}`, { status: 'disabled' }),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 409]);
    const survivor = [firstAdminId, grace.id, second.id][racing.findIndex((r) => r.status === 409)];
    expect(racing.find((r) => r.status === 409)!.body.message).toBe(LAST_ADMIN);

    expect((await api().delete(`/api/v1/users/${survivor}`)).body).toMatchObject({ statusCode: 409, message: LAST_ADMIN });
    expect((await api().patch(`/api/v1/users/${survivor}`, { isPlatformAdmin: false })).status).toBe(409);
    // The console says the same on its confirmation page, and changes nothing.
    const passwords = { [firstAdminId]: ADMIN_PASSWORD, [grace.id]: 'second admin password', [second.id]: 'last admin password' };
    const survivorWeb = new WebSession(t);
    const email = [ADMIN_EMAIL, 'grace@portico.test', 'last@portico.test'][[firstAdminId, grace.id, second.id].indexOf(survivor)];
    await survivorWeb.submit('/console/login', { email, password: passwords[survivor] });
    const page = await survivorWeb.submit(`/console/administrators/${survivor}/disable`, {}, `/console/administrators/${survivor}/disable`);
    expect(page.status).toBe(409);
    expect(alertOf(page.text)).toBe(LAST_ADMIN);
    // Put everyone back for the next tests.
    for (const id of [firstAdminId, grace.id, second.id]) await api().patch(`/api/v1/users/${id}`, { status: 'active' }).expect(200);
    // A disabled administrator's session ended: sign in again.
    adminWeb = new WebSession(t);
    await adminWeb.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  });

  it('makes an API token in the console that works as Bearer at once, shown once, and stops at once when revoked', async () => {
    expect((await adminWeb.postRaw('/console/api-tokens', { name: 'no csrf' })).status).toBe(403);
    expect((await adminWeb.submit('/console/api-tokens', { name: 'admin_api_token' })).status).toBe(400);
    const created = await adminWeb.submit('/console/api-tokens', { name: 'deploy <script>' });
    expect(created.status).toBe(303);
    expect(created.headers.location).toBe('/console/api-tokens');
    const shown = await adminWeb.get('/console/api-tokens');
    const secret = decode(/data-testid="secret">([^<]+)</.exec(shown.text)![1]);
    expect(shown.text).toContain('deploy &lt;script&gt;');
    expect(shown.text).not.toContain('deploy <script>');
    // Shown once: the reload has the row and no secret.
    const again = await adminWeb.get('/console/api-tokens');
    expect(again.text).not.toContain(secret);
    expect(again.text.match(/data-testid="token-row"/g)).toHaveLength(2); // ADMIN_API_TOKEN and this one

    const bearer = `Bearer ${secret}`;
    await t.http.get('/api/v1/tenants').set('Authorization', bearer).expect(200);
    const row = /<tr data-testid="token-row" data-name="deploy &lt;script&gt;">([\s\S]*?)<\/tr>/.exec(
      (await adminWeb.get('/console/api-tokens')).text,
    )![1];
    expect(row).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC<\/td>\s*<td class="nowrap">\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    const id = /\/console\/api-tokens\/([0-9a-f-]{36})\/revoke/.exec(row)![1];
    // Asking first changes nothing.
    const confirm = await adminWeb.get(`/console/api-tokens/${id}/revoke`);
    expect(decode(confirm.text)).toContain('Revoke the API token “deploy <script>”?');
    await t.http.get('/api/v1/tenants').set('Authorization', bearer).expect(200);
    expect((await adminWeb.submit(`/console/api-tokens/${id}/revoke`, {}, `/console/api-tokens/${id}/revoke`)).status).toBe(303);
    await t.http.get('/api/v1/tenants').set('Authorization', bearer).expect(401);
    expect((await adminWeb.get(`/console/api-tokens/${id}/revoke`)).status).toBe(404);
  });

  it('changes your own password only with the current one, the error beside its field', async () => {
    const wrong = await adminWeb.submit(
      '/console/me/password',
      {
        currentPassword: 'not it',
        newPassword: 'a brand new password',
        newPasswordConfirmation: 'a brand new password',
      },
      '/console/me',
    );
    expect(wrong.status).toBe(401);
    expect(decode(wrong.text)).toMatch(/class="field-error"[^>]*>Your current password is not right.</);
  });

  it('turns your own authenticator app on, and refuses to turn it off while the settings require one for administrators', async () => {
    const me = await adminWeb.get('/console/me');
    const phone = new Phone(/data-testid="totp-secret">([A-Z2-7]+)</.exec(me.text)![1]);
    const on = await adminWeb.submit('/console/me/authenticator', { action: 'enable', code: await phone.code() }, '/console/me');
    expect(on.headers.location).toBe('/account/authenticator/recovery-codes');
    expect((await adminWeb.get('/account/authenticator/recovery-codes')).text).toContain('href="/console/me"');
    const require = (on: boolean) =>
      t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ requireAuthenticatorForAdmins: on }).expect(200);
    await require(true);
    try {
      const refused = await adminWeb.submit('/console/me/authenticator', { action: 'disable', code: await phone.code() }, '/console/me');
      expect(refused.status).toBe(409);
      expect(alertOf(refused.text)).toBe(
        'Platform administrators must use an authenticator app (Authentication settings): it cannot be turned off.',
      );
    } finally {
      await require(false);
    }
    const off = await adminWeb.submit('/console/me/authenticator', { action: 'disable', code: await phone.code() }, '/console/me');
    expect(off.headers.location).toBe('/console/me');
    expect((await adminWeb.get('/console/me')).text).toContain('data-testid="totp-secret"');
  });

  describe('npm run admin -- reset-password', () => {
    const env = () => ({ NODE_ENV: 'test', DATABASE_URL: t.db.url, MIGRATE_ON_START: 'false', PORTICO_SECRET_KEY: t.config.secretKey });

    it('prints a new password for an administrator, who signs in with it even after a lockout', async () => {
      const locked = new WebSession(t);
      let last = await locked.submit('/console/login', { email: 'last@portico.test', password: 'wrong' });
      for (let i = 0; i < 5; i++) last = await locked.submit('/console/login', { email: 'last@portico.test', password: `wrong ${i}` });
      expect(last.status).toBe(429);
      const cli = startCli(build, 'admin', ['reset-password', 'LAST@portico.test'], env());
      expect(await cli.exited).toBe(0);
      const password = /shown once\):\n\n {2}(\S+)\n/.exec(cli.stdout())![1];
      expect(cli.stdout()).toContain('New password for last@portico.test');
      const session = new WebSession(t);
      expect((await session.submit('/console/login', { email: 'last@portico.test', password })).headers.location).toBe('/console');
      await session.get('/console/me').then((r) => expect(r.status).toBe(200));
    });

    it('says so and exits non-zero for an unknown email or someone who is not an administrator', async () => {
      const unknown = startCli(build, 'admin', ['reset-password', 'nobody@portico.test'], env());
      expect(await unknown.exited).toBe(1);
      expect(unknown.stderr()).toContain('No platform administrator has the email nobody@portico.test. Nothing was changed.');
      expect(unknown.stdout()).toBe('');
      const member = startCli(build, 'admin', ['reset-password', 'member@tenant.example'], env());
      expect(await member.exited).toBe(1);
      const usage = startCli(build, 'admin', ['reset-pass'], env());
      expect(await usage.exited).toBe(2);
      expect(usage.stderr()).toContain('Usage: npm run admin -- reset-password <email>');
    });
  });
});
