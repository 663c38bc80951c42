import { ProviderCircuitBreakers } from '@portico/external-login';
import { auditEvents, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { FakeLoginProvider, makeTestPki, TestPki } from '../support/login-provider';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, realProblems, WebSession } from '../support/web-session';

const PROVIDER_TOKEN = '9853E6DB-43FF-4E97-8040-92E9820AE6A4';
const PORTICO_PASSWORD = 'Portico-Only-Pass-1';
const WRONG = 'The email, username or password is not right.';
const UNAVAILABLE = 'Your organization’s login service could not be reached. Try again in a moment.';
const PAUSED = /login service is not answering; sign-ins through it are paused/;

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

/** Sites that delegate their sign-ins to a provider: real HTTPS providers on 127.0.0.1 with the test's own CA. */
describe.each(databaseKinds())('signing in through an external login provider (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let fake: FakeLoginProvider;
  let mtls: FakeLoginProvider;
  let ipCounter = 0;
  const browser = () => new WebSession(t, `10.7.0.${++ipCounter}`);
  const api = () => ({ Authorization: t.admin });

  const createProvider = async (body: Record<string, unknown> = {}) => {
    const res = await t.http
      .post('/api/v1/external-login-providers')
      .set(api())
      .send({
        name: `Provider ${++ipCounter}`,
        url: `${fake.base}/login`,
        accessToken: PROVIDER_TOKEN,
        caCertificate: pki.ca,
        allowPrivateNetwork: true,
        ...body,
      });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  /** A site assigned to the provider, with Portico users as members (they keep a Portico password, which must stop working). */
  const delegatingSite = async (providerId: string, members: string[] = [], owner: TenantFixture = tenant) => {
    const site = await makeOrganization(t, owner.auth, { authMode: 'external', externalLoginProviderId: providerId });
    for (const username of members) {
      await makeUser(t, owner.auth, {
        email: `${username}@portico.example`,
        username,
        password: PORTICO_PASSWORD,
        organizationId: site.id,
        role: 'member',
      });
    }
    return site;
  };
  /** The login form as a browser sends it, hidden `site` field included when the page was opened with ?site=. */
  const signInAt = (path: string, login: string, password: string, query = '') => {
    const site = /[?&]site=(\d+)/.exec(query)?.[1];
    return browser().submit(path, { login, password, ...(site ? { site } : {}) }, `${path}${query}`);
  };
  const signIn = (login: string, password: string, query = '') => signInAt(`/t/${tenant.key}/login`, login, password, query);

  beforeAll(async () => {
    fake = await new FakeLoginProvider(pki).start();
    mtls = await new FakeLoginProvider(pki, { requireClientCertificate: true }).start();
    for (const p of [fake, mtls]) {
      p.requiredToken = { header: 'x-access-token', value: PROVIDER_TOKEN };
      p.users.set('siteadmin', { password: 'mySuperSecretPassword', email: 'siteadmin@partner.example', admin: true });
      p.users.set('newbie', { password: 'Newbie-pass-1', email: 'newbie@partner.example', admin: true });
      p.users.set('newbie2', { password: 'Newbie-pass-1', email: 'newbie2@partner.example' });
      p.users.set('plain', { password: 'Plain-pass-1', email: 'plain@partner.example', admin: false, username: 'Plain' });
      p.users.set('noemail', { password: 'Noemail-pass-1', email: null });
      p.users.set('flaky-user', { password: 'Flaky-pass-1', email: 'flaky@partner.example' });
      p.reasons.set('expired', 'Your subscription has expired');
      p.reasons.set('markup', '<b>Call us</b> & "quote"');
    }
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    await t.http
      .put('/api/v1/settings/authentication')
      .set(api())
      .send({ methods: { password: true, saml: false, ldap: false, external: true }, lockout: { maxPasswordFailures: 50 } })
      .expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
    await mtls?.stop();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  describe('the provider API', () => {
    it('creates, reads, lists, updates and deletes providers; secrets are write-only', async () => {
      const created = await t.http
        .post('/api/v1/external-login-providers')
        .set(api())
        .send({
          name: 'Partner directory',
          url: `${fake.base}/login`,
          accessToken: PROVIDER_TOKEN,
          caCertificate: pki.ca,
          allowPrivateNetwork: true,
        })
        .expect(201);
      expect(created.body).toMatchObject({
        name: 'Partner directory',
        url: `${fake.base}/login`,
        accessTokenHeader: 'x-access-token',
        accessTokenSet: true,
        clientCertificate: null,
        clientKeySet: false,
        caCertificate: pki.ca.trim(),
        timeoutMs: 5000,
        allowUserCreation: false,
        allowPrivateNetwork: true,
        circuit: { state: 'closed', consecutiveFailures: 0, openUntil: null },
      });
      expect(JSON.stringify(created.body)).not.toContain(PROVIDER_TOKEN);
      expect(created.body).not.toHaveProperty('accessToken');
      const id = created.body.id;
      expect((await t.http.get(`/api/v1/external-login-providers/${id}`).set(api()).expect(200)).body.name).toBe('Partner directory');
      const list = await t.http.get('/api/v1/external-login-providers').set(api()).expect(200);
      expect(list.body).toMatchObject({ total: expect.any(Number), limit: 50, offset: 0 });
      expect(list.body.items.map((p: { id: string }) => p.id)).toContain(id);

      const updated = await t.http
        .put(`/api/v1/external-login-providers/${id}`)
        .set(api())
        .send({
          name: 'Partner SSO',
          timeoutMs: 2500,
          allowUserCreation: true,
          clientCertificate: pki.clientCert,
          clientKey: pki.clientKey,
        })
        .expect(200);
      expect(updated.body).toMatchObject({
        name: 'Partner SSO',
        timeoutMs: 2500,
        allowUserCreation: true,
        accessTokenSet: true,
        clientKeySet: true,
        clientCertificate: pki.clientCert.trim(),
      });
      expect(JSON.stringify(updated.body)).not.toContain('PRIVATE KEY');
      const cleared = await t.http
        .put(`/api/v1/external-login-providers/${id}`)
        .set(api())
        .send({ accessToken: null, clientCertificate: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ accessTokenSet: false, clientCertificate: null, clientKeySet: false });

      const audit = await auditEvents(t, { action: 'external_login_provider.updated' });
      expect(audit[0].details).toMatchObject({ changed: expect.arrayContaining(['accessToken', 'clientCertificate', 'clientKey']) });
      expect(JSON.stringify(await auditEvents(t, {}))).not.toMatch(new RegExp(`${PROVIDER_TOKEN}|PRIVATE KEY`));

      expectError(
        await t.http.post('/api/v1/external-login-providers').set(api()).send({ name: 'Partner SSO', url: 'https://login.example.com/x' }),
        409,
        /already exists/,
      );
      await t.http.delete(`/api/v1/external-login-providers/${id}`).set(api()).expect(204);
      expectError(await t.http.get(`/api/v1/external-login-providers/${id}`).set(api()), 404);
      expectError(await t.http.get('/api/v1/external-login-providers').set('Authorization', tenant.auth), 403);
    });

    it.each([
      [{ url: 'http://login.example.com/x' }, /url must use https:\/\//],
      [{ url: 'https://127.0.0.1:8443/x' }, /url: .*private or loopback address needs allowPrivateNetwork/],
      [{ url: 'https://10.1.2.3/x' }, /allowPrivateNetwork/],
      [{ url: 'https://169.254.169.254/latest' }, /allowPrivateNetwork/],
      [{ url: 'https://[::1]/x' }, /allowPrivateNetwork/],
      [{ url: 'not a url' }, /url must be an absolute URL/],
      [{ url: 'https://user:pw@login.example.com/x' }, /Credentials in the URL/],
      [{ url: 'ftp://login.example.com/x' }, /https/],
      [{ accessTokenHeader: 'bad header' }, /accessTokenHeader must be an HTTP header name/],
      [{ accessTokenHeader: 'Host' }, /accessTokenHeader must not be host/],
      [{ timeoutMs: 50 }, /timeoutMs must not be less than 100/],
      [{ timeoutMs: 60_000 }, /timeoutMs must not be greater than 30000/],
      [
        { clientCertificate: 'not a certificate', clientKey: 'nor a key' },
        /clientCertificate is not a PEM certificate.*clientKey is not an unencrypted PEM private key/,
      ],
      [{ clientCertificate: 'CERT' }, /clientCertificate and clientKey go together/],
      [{ caCertificate: 'no pem here' }, /caCertificate must be one or more PEM certificates/],
      [{ name: '' }, /name must be longer than or equal to 1/],
      [{ allowUserCreation: 'yes' }, /allowUserCreation must be a boolean/],
      [{ secret: 'x' }, /property secret should not exist/],
    ])('refuses %j with a 400 naming the field', async (bad, message) => {
      const res = await t.http
        .post('/api/v1/external-login-providers')
        .set(api())
        .send({ name: 'Refused', url: 'https://login.example.com/x', ...bad });
      expectError(res, 400, message);
    });

    it('refuses a client key that does not belong to the certificate', async () => {
      const res = await t.http
        .post('/api/v1/external-login-providers')
        .set(api())
        .send({ name: 'Mismatch', url: 'https://login.example.com/x', clientCertificate: pki.clientCert, clientKey: pki.strangerKey });
      expectError(res, 400, /clientKey does not belong to clientCertificate/);
    });

    it('assigns only providers that exist, and keeps a provider while organizations use it', async () => {
      const provider = await createProvider();
      const site = await makeOrganization(t, tenant.auth);
      expectError(
        await t.http
          .patch(`/api/v1/organizations/${site.id}`)
          .set('Authorization', tenant.auth)
          .send({ authMode: 'external', externalLoginProviderId: '00000000-0000-4000-8000-00000000dead' }),
        400,
        /externalLoginProviderId does not name an external login provider/,
      );
      expectError(
        await t.http
          .post('/api/v1/organizations')
          .set('Authorization', tenant.auth)
          .send({ name: 'Ghost', authMode: 'external', externalLoginProviderId: '00000000-0000-4000-8000-00000000dead' }),
        400,
        /externalLoginProviderId/,
      );
      const assigned = await t.http
        .patch(`/api/v1/organizations/${site.id}`)
        .set('Authorization', tenant.auth)
        .send({ authMode: 'external', externalLoginProviderId: provider.id })
        .expect(200);
      expect(assigned.body).toMatchObject({ authMode: 'external', externalLoginProviderId: provider.id });
      expectError(await t.http.delete(`/api/v1/external-login-providers/${provider.id}`).set(api()), 409, /assigned to organizations/);
      await t.http
        .patch(`/api/v1/organizations/${site.id}`)
        .set('Authorization', tenant.auth)
        .send({ authMode: 'portico', externalLoginProviderId: null })
        .expect(200);
      await t.http.delete(`/api/v1/external-login-providers/${provider.id}`).set(api()).expect(204);
    });
  });

  describe('signing in', () => {
    let provider: { id: string };
    let site: { id: string; siteId: number };
    beforeAll(async () => {
      provider = await createProvider({ name: 'Main partner' });
      site = await delegatingSite(provider.id, ['siteadmin', 'expired', 'markup']);
    });

    it('signs a member in when the provider accepts; the Portico password stops working', async () => {
      const before = fake.callsTo('/login').length;
      const res = await signIn('SiteAdmin', 'mySuperSecretPassword');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      const call = fake.callsTo('/login').slice(before)[0];
      expect(call.body).toEqual({ site_id: site.siteId, username: 'siteadmin', password: 'mySuperSecretPassword' });
      expect(call.headers).toMatchObject({ 'x-access-token': PROVIDER_TOKEN, 'content-type': 'application/json' });

      const portico = await signIn('siteadmin', PORTICO_PASSWORD);
      expect(portico.status).toBe(401);
      expect(alertOf(portico.text)).toBe('Invalid login');

      // Signing in with the email sends the username the provider knows.
      const byEmail = await signIn('siteadmin@portico.example', 'mySuperSecretPassword');
      expect(byEmail.status).toBe(303);
      expect(fake.callsTo('/login').at(-1)?.body.username).toBe('siteadmin');

      const succeeded = await auditEvents(t, { action: 'auth.login.succeeded' });
      expect(succeeded[0].details).toMatchObject({ method: 'external', providerId: provider.id, siteId: site.siteId });
    });

    it('never trims the password on its way to the provider', async () => {
      const before = fake.callsTo('/login').length;
      const res = await signIn('siteadmin', ' mySuperSecretPassword ');
      expect(res.status).toBe(401);
      expect(fake.callsTo('/login').slice(before)[0].body.password).toBe(' mySuperSecretPassword ');
    });

    it('changes nothing about an existing user, whatever the provider answers', async () => {
      const members = await t.http.get(`/api/v1/organizations/${site.id}/members`).set(api()).expect(200);
      const siteadmin = members.body.items.find((m: { email: string }) => m.email === 'siteadmin@portico.example');
      // The provider calls them a site administrator; their membership stays as Portico has it.
      expect(siteadmin.role).toBe('member');
      expect((await auditEvents(t, { action: 'user.updated' })).filter((e) => e.target.id === siteadmin.userId)).toEqual([]);
    });

    it('shows the provider’s reason to the person, as text', async () => {
      const expired = await signIn('expired', 'whatever-password-1');
      expect(expired.status).toBe(401);
      expect(alertOf(expired.text)).toBe('Your subscription has expired');
      const markup = await signIn('markup', 'whatever-password-1');
      expect(markup.text).toContain('&lt;b&gt;Call us&lt;/b&gt; &amp; &quot;quote&quot;');
      expect(markup.text).not.toContain('<b>Call us</b>');
      const failed = (await auditEvents(t, { action: 'auth.login.failed' })).find((e) => e.details?.login === 'expired');
      expect(failed?.details).toMatchObject({ method: 'external', providerReason: 'Your subscription has expired' });
      expect(JSON.stringify(failed)).not.toContain('whatever-password-1');
    });

    it('does not call the provider for people it may not create (user creation off)', async () => {
      const before = fake.calls.length;
      for (const query of ['', `?site=${site.siteId}`]) {
        const res = await signIn('newbie', 'Newbie-pass-1', query);
        expect(res.status).toBe(401);
        expect(alertOf(res.text)).toBe(WRONG);
      }
      expect(fake.calls.length).toBe(before);
    });

    it('keeps platform administrators on their Portico password', async () => {
      const direct = await makeOrganization(t, t.admin, { authMode: 'external', externalLoginProviderId: provider.id });
      const admins = await t.http.get('/api/v1/users').query({ email: ADMIN_EMAIL }).set(api()).expect(200);
      await t.http
        .post(`/api/v1/organizations/${direct.id}/members`)
        .set(api())
        .send({ userId: admins.body.items[0].id, role: 'owner' })
        .expect(201);
      const before = fake.calls.length;
      const console = await browser().submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(console.headers.location).toBe('/console');
      const page = await signInAt('/login', ADMIN_EMAIL, ADMIN_PASSWORD, `?site=${direct.siteId}`);
      expect(page.status).toBe(303);
      expect(fake.calls.length).toBe(before);
    });

    it('refuses without calling the provider while external sign-in is turned off', async () => {
      const methods = { password: true, saml: false, ldap: false, external: false };
      await t.http.put('/api/v1/settings/authentication').set(api()).send({ methods }).expect(200);
      const before = fake.calls.length;
      const res = await signIn('siteadmin', 'mySuperSecretPassword');
      expect(res.status).toBe(403);
      expect(alertOf(res.text)).toMatch(/login provider is turned off/);
      expect(fake.calls.length).toBe(before);
      await t.http
        .put('/api/v1/settings/authentication')
        .set(api())
        .send({ methods: { ...methods, external: true } })
        .expect(200);
      expect((await signIn('siteadmin', 'mySuperSecretPassword')).status).toBe(303);
    });

    it('keeps tenants apart: the same username in another tenant signs in with Portico', async () => {
      const otherTenant = await makeTenant(t);
      await makeUser(t, otherTenant.auth, { email: 'siteadmin@other.example', username: 'siteadmin', password: PORTICO_PASSWORD });
      const before = fake.calls.length;
      const res = await browser().login('siteadmin', PORTICO_PASSWORD, `/t/${otherTenant.key}/login`);
      expect(res.status).toBe(303);
      expect(fake.calls.length).toBe(before);
    });
  });

  describe('user creation', () => {
    let site: { id: string; siteId: number };
    beforeAll(async () => {
      const creator = await createProvider({ name: 'Creating partner', allowUserCreation: true });
      site = await delegatingSite(creator.id);
    });
    const findUser = async (email: string, owner = tenant) =>
      (await t.http.get('/api/v1/users').query({ email, tenantKey: owner.key }).set(api()).expect(200)).body.items[0];

    it('creates someone the provider accepts, in the site they signed in to, as admin when the provider says so', async () => {
      const page = await browser().get(`/t/${tenant.key}/login?site=${site.siteId}`);
      expect(page.text).toContain(`name="site" value="${site.siteId}"`);
      const res = await signIn('newbie', 'Newbie-pass-1', `?site=${site.siteId}`);
      expect(res.status).toBe(303);
      const created = await findUser('newbie@partner.example');
      expect(created).toMatchObject({ username: 'newbie', tenantKey: tenant.key, createdVia: 'external-login', status: 'active' });
      const members = await t.http.get(`/api/v1/organizations/${site.id}/members`).set(api()).expect(200);
      expect(members.body.items).toEqual([expect.objectContaining({ userId: created.id, role: 'admin' })]);

      const plain = await signIn('plain', 'Plain-pass-1', `?site=${site.siteId}`);
      expect(plain.status).toBe(303);
      const plainUser = await findUser('plain@partner.example');
      expect(plainUser.username).toBe('Plain');
      const roles = (await t.http.get(`/api/v1/organizations/${site.id}/members`).set(api()).expect(200)).body.items;
      expect(roles.find((m: { userId: string }) => m.userId === plainUser.id).role).toBe('member');
    });

    it('never changes an account it created when the provider later answers differently', async () => {
      fake.users.get('newbie')!.email = 'renamed@partner.example';
      fake.users.get('newbie')!.admin = false;
      expect((await signIn('newbie', 'Newbie-pass-1', `?site=${site.siteId}`)).status).toBe(303);
      expect(await findUser('renamed@partner.example')).toBeUndefined();
      expect((await findUser('newbie@partner.example')).username).toBe('newbie');
      fake.users.get('newbie')!.email = 'newbie@partner.example';
      fake.users.get('newbie')!.admin = true;
    });

    it('creates nobody without a site, with another tenant’s site, or without an email to give them', async () => {
      const before = fake.calls.length;
      expect((await signIn('siteadmin', 'mySuperSecretPassword')).status).toBe(303); // a member elsewhere: unaffected
      // The site belongs to the tenant, not to the direct customers' login page.
      const direct = await signInAt('/login', 'newbie2', 'Newbie-pass-1', `?site=${site.siteId}`);
      expect(direct.status).toBe(401);
      const otherTenant = await makeTenant(t);
      const elsewhere = await signInAt(`/t/${otherTenant.key}/login`, 'newbie2', 'Newbie-pass-1', `?site=${site.siteId}`);
      expect(elsewhere.status).toBe(401);
      expect(fake.calls.length).toBe(before + 1);
      expect(await findUser('newbie2@partner.example')).toBeUndefined();

      const noEmail = await signIn('noemail', 'Noemail-pass-1', `?site=${site.siteId}`);
      expect(noEmail.status).toBe(401);
      expect(alertOf(noEmail.text)).toMatch(/could not create your account/);
      expect(await findUser('noemail')).toBeUndefined();
    });
  });

  describe('a provider that misbehaves', () => {
    const failing = async (path: string, extra: Record<string, unknown> = {}) => {
      const provider = await createProvider({ url: `${fake.base}${path}`, ...extra });
      const username = `member-${path.slice(1)}-${++ipCounter}`;
      fake.users.set(username, { password: 'Member-pass-1', email: `${username}@partner.example` });
      await delegatingSite(provider.id, [username]);
      return { provider, username };
    };

    it.each([
      ['does not answer in time', '/slow', { timeoutMs: 300 }, 'timeout'],
      ['answers 500', '/error', {}, 'status'],
      ['answers something that is not JSON', '/text', {}, 'malformed'],
      ['redirects (not followed)', '/redirect', {}, 'status'],
      ['answers more than 64 KiB', '/huge', {}, 'tooLarge'],
    ])('fails the sign-in when the provider %s', async (_what, path, extra, failure) => {
      const { username } = await failing(path, extra);
      const loginCalls = fake.callsTo('/login').length;
      const res = await signIn(username, 'Member-pass-1');
      expect(res.status).toBe(503);
      expect(alertOf(res.text)).toBe(UNAVAILABLE);
      expect(fake.callsTo(path)).toHaveLength(1);
      expect(fake.callsTo('/login')).toHaveLength(loginCalls);
      const audit = (await auditEvents(t, { action: 'auth.login.failed' })).find((e) => e.details?.login === username);
      expect(audit?.details).toMatchObject({ method: 'external', failure });
    });

    it('refuses a private destination without allowPrivateNetwork at connect time, with no connection made', async () => {
      const provider = await createProvider({ url: `https://localhost:${fake.port}/login`, allowPrivateNetwork: false });
      await delegatingSite(provider.id, ['private-member']);
      fake.users.set('private-member', { password: 'Member-pass-1', email: 'pm@partner.example' });
      const connections = fake.connections;
      const res = await signIn('private-member', 'Member-pass-1');
      expect(res.status).toBe(503);
      expect(alertOf(res.text)).toBe(UNAVAILABLE);
      const tested = await t.http
        .post(`/api/v1/external-login-providers/${provider.id}/test`)
        .set(api())
        .send({ siteId: 1, username: 'x', password: 'y' })
        .expect(200);
      expect(tested.body).toMatchObject({
        outcome: 'failed',
        failure: 'refused',
        reason: expect.stringMatching(/private or loopback address needs allowPrivateNetwork/),
      });
      expect(fake.connections).toBe(connections);
    });

    it('refuses a provider whose certificate does not chain to the configured CA', async () => {
      const { username } = await failing('/login', { caCertificate: null });
      const calls = fake.calls.length;
      const res = await signIn(username, 'Member-pass-1');
      expect(alertOf(res.text)).toBe(UNAVAILABLE);
      expect(fake.calls.length).toBe(calls);
    });
  });

  describe('mutual TLS', () => {
    it('signs in through a provider that requires a client certificate only when Portico presents one it trusts', async () => {
      const without = await createProvider({ url: `${mtls.base}/login` });
      const stranger = await createProvider({ url: `${mtls.base}/login`, clientCertificate: pki.strangerCert, clientKey: pki.strangerKey });
      const trusted = await createProvider({ url: `${mtls.base}/login`, clientCertificate: pki.clientCert, clientKey: pki.clientKey });
      for (const p of [without, stranger]) {
        const username = `mtls-${++ipCounter}`;
        mtls.users.set(username, { password: 'Mtls-pass-1', email: `${username}@partner.example` });
        await delegatingSite(p.id, [username]);
        const res = await signIn(username, 'Mtls-pass-1');
        expect(alertOf(res.text)).toBe(UNAVAILABLE);
      }
      expect(mtls.calls).toHaveLength(0);
      mtls.users.set('mtls-ok', { password: 'Mtls-pass-1', email: 'mtls-ok@partner.example' });
      await delegatingSite(trusted.id, ['mtls-ok']);
      const res = await signIn('mtls-ok', 'Mtls-pass-1');
      expect(res.status).toBe(303);
      expect(mtls.calls.at(-1)).toMatchObject({ path: '/login', clientCertificate: 'client' });
    });
  });

  describe('the circuit breaker', () => {
    it('stops calling a provider that keeps failing, says so, and closes again after the cool-down once it answers', async () => {
      const breakers = t.app.get(ProviderCircuitBreakers);
      // Fewer wrong passwords allowed than the failures ahead: an outage must not count as wrong passwords.
      await t.http
        .put('/api/v1/settings/authentication')
        .set(api())
        .send({ lockout: { maxPasswordFailures: 3 } })
        .expect(200);
      const provider = await createProvider({ url: `${fake.base}/flaky` });
      await delegatingSite(provider.id, ['flaky-user']);
      fake.flaky = 'fail';
      for (let i = 0; i < breakers.threshold; i++) {
        const res = await signIn('flaky-user', 'Flaky-pass-1');
        expect(alertOf(res.text)).toBe(UNAVAILABLE);
      }
      expect(fake.callsTo('/flaky')).toHaveLength(breakers.threshold);
      const paused = await signIn('flaky-user', 'Flaky-pass-1');
      expect(paused.status).toBe(503);
      expect(alertOf(paused.text)).toMatch(PAUSED);
      expect(fake.callsTo('/flaky')).toHaveLength(breakers.threshold);
      const state = await t.http.get(`/api/v1/external-login-providers/${provider.id}`).set(api()).expect(200);
      expect(state.body.circuit).toMatchObject({
        state: 'open',
        consecutiveFailures: breakers.threshold,
        lastFailure: expect.stringMatching(/^status: .*HTTP 503/),
      });
      expect(new Date(state.body.circuit.openUntil).getTime()).toBeGreaterThan(Date.now());

      const admin = new WebSession(t);
      await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      const page = await admin.get(`/console/external-login/${provider.id}`);
      expect(page.text).toMatch(/data-testid="circuit">paused</);
      expect(page.text).toMatch(/Calls paused until .* after 5 failures in a row/);

      // The provider recovers; once the cool-down is over the next sign-in is the trial that closes the breaker.
      fake.flaky = 'ok';
      expect((await signIn('flaky-user', 'Flaky-pass-1')).status).toBe(503);
      t.clock.advance(breakers.cooldownMs + 1000);
      try {
        expect((await t.http.get(`/api/v1/external-login-providers/${provider.id}`).set(api())).body.circuit.state).toBe('half-open');
        const res = await signIn('flaky-user', 'Flaky-pass-1');
        expect(res.status).toBe(303);
        expect(fake.callsTo('/flaky')).toHaveLength(breakers.threshold + 1);
        expect((await t.http.get(`/api/v1/external-login-providers/${provider.id}`).set(api())).body.circuit).toMatchObject({
          state: 'closed',
          consecutiveFailures: 0,
        });
      } finally {
        t.clock.reset();
        await t.http
          .put('/api/v1/settings/authentication')
          .set(api())
          .send({ lockout: { maxPasswordFailures: 50 } })
          .expect(200);
      }
    });
  });

  describe('Test provider', () => {
    it('sends one login and reports the answer: accepted, refused, failed; never the password', async () => {
      const provider = await createProvider();
      const broken = await createProvider({ url: `${fake.base}/error` });
      const test = (id: string, body: Record<string, unknown>) =>
        t.http.post(`/api/v1/external-login-providers/${id}/test`).set(api()).send(body);
      const accepted = await test(provider.id, { siteId: 4242, username: ' siteadmin ', password: 'mySuperSecretPassword' }).expect(200);
      expect(accepted.body).toEqual({
        outcome: 'accepted',
        reason: null,
        username: 'siteadmin',
        emailAddress: 'siteadmin@partner.example',
        isSiteAdministrator: true,
        failure: null,
        status: 200,
        durationMs: expect.any(Number),
      });
      expect(fake.calls.at(-1)?.body).toEqual({ site_id: 4242, username: 'siteadmin', password: 'mySuperSecretPassword' });
      expect((await test(provider.id, { siteId: 4242, username: 'expired', password: 'x' }).expect(200)).body).toMatchObject({
        outcome: 'refused',
        reason: 'Your subscription has expired',
      });
      expect((await test(broken.id, { siteId: 1, username: 'siteadmin', password: 'x' }).expect(200)).body).toMatchObject({
        outcome: 'failed',
        failure: 'status',
        status: 500,
        reason: expect.stringMatching(/HTTP 500/),
      });
      expectError(await test(provider.id, { siteId: 'one', username: '', password: '' }), 400, /siteId.*username.*password|siteId/);
      expectError(await test('00000000-0000-4000-8000-0000000000ff', { siteId: 1, username: 'a', password: 'b' }), 404);
      const audited = await auditEvents(t, { action: 'external_login_provider.tested' });
      expect(audited[0].details).toMatchObject({ outcome: 'failed', failure: 'status' });
      expect(JSON.stringify(audited)).not.toContain('mySuperSecretPassword');
    });
  });
});
