import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { FakeLoginProvider, makeTestPki, TestPki } from '../support/login-provider';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

const TOKEN = 'partner-token-5b1f0c2a77';
const CSRF_REFUSED = 'This form has expired or did not come from Portico';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

/** The console pages of external login: providers, Test provider, Portico as a provider, an organization's sign-in. */
describe.each(databaseKinds())('console: external login (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;
  let fake: FakeLoginProvider;

  const api = () => ({ Authorization: t.admin });
  const errorsOf = (html: string) =>
    [...(/data-testid="form-errors"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  const providerForm = (extra: Record<string, string> = {}) => ({
    name: 'Partner directory',
    url: `${fake.base}/login`,
    accessTokenHeader: 'x-access-token',
    accessToken: TOKEN,
    caCertificate: pki.ca,
    timeoutMs: '4000',
    allowPrivateNetwork: 'on',
    ...extra,
  });
  const providerByName = async (name: string) =>
    (
      (await t.http.get('/api/v1/external-login-providers').set(api()).expect(200)).body.items as {
        id: string;
        name: string;
        accessTokenSet: boolean;
      }[]
    ).find((p) => p.name === name)!;

  beforeAll(async () => {
    fake = await new FakeLoginProvider(pki).start();
    fake.requiredToken = { header: 'x-access-token', value: TOKEN };
    fake.users.set('siteadmin', { password: 'mySuperSecretPassword', email: 'siteadmin@partner.example', admin: true });
    fake.reasons.set('expired', 'Your subscription has expired');
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('lists the area in the menu as built, with an empty list to start', async () => {
    const dashboard = await admin.get('/console');
    expect(dashboard.text).toMatch(/<a href="\/console\/external-login" class="">External login<\/a>/);
    const page = await admin.get('/console/external-login');
    expect(page.status).toBe(200);
    expect(page.text).toContain('No providers yet.');
    expect(page.text).toContain('href="/console/settings/external-login"');
  });

  it('refuses a provider it could not call, keeping what was typed but never the token', async () => {
    const res = await admin.submit(
      '/console/external-login',
      providerForm({ url: `${fake.base}/login`, allowPrivateNetwork: '' }),
      '/console/external-login',
    );
    expect(res.status).toBe(400);
    expect(errorsOf(res.text)).toEqual([expect.stringMatching(/^URL: Refused to connect to 127\.0\.0\.1 .* needs allowPrivateNetwork$/)]);
    // The message is beside the URL field too, in words.
    expect(res.text).toMatch(/data-testid="error-url">URL: Refused to connect/);
    expect(res.text).toContain(`value="${fake.base}/login"`);
    expect(res.text).not.toContain(TOKEN);
    const blank = await admin.submit('/console/external-login', providerForm({ name: '', timeoutMs: 'soon' }), '/console/external-login');
    expect(errorsOf(blank.text)).toEqual(expect.arrayContaining(['Name is required.', expect.stringMatching(/^Timeout \(ms\): /)]));
    expect(blank.text).toContain('data-testid="error-name">Name is required.');
  });

  it('creates a provider, shows the token as stored but never its value, keeps it on save, removes it on request', async () => {
    const created = await admin.submit('/console/external-login', providerForm(), '/console/external-login');
    expect(created.status).toBe(303);
    const provider = await providerByName('Partner directory');
    expect(created.headers.location).toBe(`/console/external-login/${provider.id}`);
    const page = await admin.get(created.headers.location);
    expect(page.text).toContain('Provider “Partner directory” created.');
    expect(page.text).toMatch(/Access token <span class="badge ok">stored<\/span>/);
    expect(page.text).not.toContain(TOKEN);
    expect(page.text).toMatch(/data-testid="circuit">answering</);

    const list = await admin.get('/console/external-login');
    expect(list.text).toMatch(/data-testid="provider-row"[\s\S]*Partner directory[\s\S]*answering/);

    const saved = await admin.submit(`/console/external-login/${provider.id}`, {
      ...providerForm({ name: 'Partner SSO', accessToken: '' }),
      caCertificate: pki.ca,
    });
    expect(saved.status).toBe(303);
    expect(await providerByName('Partner SSO')).toMatchObject({ accessTokenSet: true });
    await admin.submit(`/console/external-login/${provider.id}`, {
      ...providerForm({ name: 'Partner SSO', accessToken: '' }),
      removeAccessToken: 'on',
    });
    expect(await providerByName('Partner SSO')).toMatchObject({ accessTokenSet: false });
    await admin.submit(`/console/external-login/${provider.id}`, providerForm({ name: 'Partner SSO' }));
    expect(await providerByName('Partner SSO')).toMatchObject({ accessTokenSet: true });
  });

  it('Test provider shows the answer: accepted with the user’s fields, refused with the reason, failed with why', async () => {
    const provider = await providerByName('Partner SSO');
    const path = `/console/external-login/${provider.id}`;
    const accepted = await admin.submit(`${path}/test`, { site: '1001', username: 'siteadmin', password: 'mySuperSecretPassword' }, path);
    expect(accepted.status).toBe(200);
    const result = /data-testid="test-result"[\s\S]*?<\/div>/.exec(accepted.text)?.[0] ?? '';
    expect(result).toContain('Accepted.');
    expect(result).toContain('siteadmin@partner.example');
    expect(accepted.text).not.toContain('mySuperSecretPassword');
    expect(accepted.text).toContain('value="siteadmin"');

    const refused = await admin.submit(`${path}/test`, { site: '1001', username: 'expired', password: 'whatever' }, path);
    expect(decode(refused.text)).toContain('Reason: “Your subscription has expired”');

    const bad = await admin.submit(`${path}/test`, { site: 'x', username: '', password: '' }, path);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/data-testid="test-errors"/);

    await admin.submit(path, providerForm({ name: 'Partner SSO', url: `${fake.base}/error` }));
    const failed = await admin.submit(`${path}/test`, { site: '1001', username: 'siteadmin', password: 'x' }, path);
    expect(decode(failed.text)).toMatch(/No usable answer<\/strong> \(status, HTTP 500\): The provider answered HTTP 500/);
    await admin.submit(path, providerForm({ name: 'Partner SSO' }));
  });

  it('sets an organization’s sign-in to the provider on its page, and refuses “external” without one', async () => {
    const provider = await providerByName('Partner SSO');
    const org = await makeOrganization(t, tenant.auth, { name: 'Heron Works' });
    const path = `/console/organizations/${org.id}`;
    const page = await admin.get(path);
    expect(page.text).toMatch(/<option value="[0-9a-f-]+" >Partner SSO<\/option>/);
    const without = await admin.submit(path, { name: 'Heron Works', authMode: 'external', externalLoginProviderId: '' });
    expect(without.status).toBe(400);
    expect(errorsOf(without.text)).toEqual(['externalLoginProviderId is required when authMode is external']);
    const saved = await admin.submit(path, { name: 'Heron Works', authMode: 'external', externalLoginProviderId: provider.id });
    expect(saved.status).toBe(303);
    const api = await t.http.get(`/api/v1/organizations/${org.id}`).set('Authorization', t.admin).expect(200);
    expect(api.body).toMatchObject({ authMode: 'external', externalLoginProviderId: provider.id });
    const after = await admin.get(path);
    expect(after.text).toContain(`through <a href="/console/external-login/${provider.id}">Partner SSO</a>`);

    // The provider's page and the list say who uses it; its test picks the organization by name.
    const providerPath = `/console/external-login/${provider.id}`;
    const providerPage = await admin.get(providerPath);
    expect(providerPage.text).toMatch(new RegExp(`data-testid="assigned-organizations">\\s*<li><a href="${path}">Heron Works</a>`));
    expect((await admin.get('/console/external-login')).text).toContain(`<a href="${providerPath}#organizations">1 using it</a>`);
    const byName = await admin.submit(
      `${providerPath}/test`,
      { site: 'heron works', username: 'siteadmin', password: 'mySuperSecretPassword' },
      providerPath,
    );
    expect(/data-testid="test-result"[\s\S]*?<\/div>/.exec(byName.text)?.[0]).toContain('Accepted.');
    const unknown = await admin.submit(`${providerPath}/test`, { site: 'Nobody Ltd', username: 'siteadmin', password: 'x' }, providerPath);
    expect(unknown.status).toBe(400);
    expect(decode(unknown.text)).toContain('No organization named “Nobody Ltd” is assigned to this provider');

    // In use: the delete page says why it cannot go yet.
    const refused = await admin.submit(
      `/console/external-login/${provider.id}/delete`,
      {},
      `/console/external-login/${provider.id}/delete`,
    );
    expect(refused.status).toBe(409);
    expect(errorsOf(refused.text)).toEqual([expect.stringMatching(/assigned to organizations/)]);
    await admin.submit(path, { name: 'Heron Works', authMode: 'portico', externalLoginProviderId: '' });
    const deleted = await admin.submit(
      `/console/external-login/${provider.id}/delete`,
      {},
      `/console/external-login/${provider.id}/delete`,
    );
    expect(deleted.status).toBe(303);
  });

  it('configures Portico as a provider: on/off, token, allowed addresses; warns when nothing protects it', async () => {
    const path = '/console/settings/external-login';
    const page = await admin.get(path);
    expect(page.text).toContain('POST http://localhost:3000/external-login'.replace('http://localhost:3000', t.config.publicUrl));
    expect(page.text).toMatch(/data-testid="trust-proxy">\s*TRUST_PROXY is off/);

    const open = await admin.submit(path, { enabled: 'on', accessTokenHeader: 'x-access-token', allowedIps: '' });
    expect(open.status).toBe(303);
    expect((await admin.get(path)).text).toMatch(/data-testid="unprotected"/);

    const wrong = await admin.submit(path, {
      enabled: 'on',
      accessTokenHeader: 'x-access-token',
      accessToken: 'short',
      allowedIps: '192.0.2.1\nintranet',
    });
    expect(wrong.status).toBe(400);
    expect(errorsOf(wrong.text)).toEqual(['Access token: must be between 8 and 1000 characters']);
    expect(wrong.text).toContain('192.0.2.1\nintranet');
    const badIp = await admin.submit(path, { enabled: 'on', accessTokenHeader: 'x-access-token', allowedIps: '192.0.2.1\nintranet' });
    expect(errorsOf(badIp.text)).toEqual(['allowedIps: not an IP address or CIDR range: "intranet"']);

    const saved = await admin.submit(path, {
      enabled: 'on',
      accessTokenHeader: 'X-Portico-Key',
      accessToken: TOKEN,
      allowedIps: '192.0.2.1\n10.0.0.0/8, 2001:db8::/32',
    });
    expect(saved.status).toBe(303);
    const settings = await t.http.get('/api/v1/settings/external-login').set(api()).expect(200);
    expect(settings.body).toMatchObject({
      enabled: true,
      accessTokenHeader: 'x-portico-key',
      accessTokenSet: true,
      allowedIps: ['192.0.2.1', '10.0.0.0/8', '2001:db8::/32'],
    });
    const after = await admin.get(path);
    expect(after.text).not.toContain(TOKEN);
    expect(after.text).not.toMatch(/data-testid="unprotected"/);
    // Saving again with the token field empty keeps it; the box removes it.
    await admin.submit(path, { enabled: 'on', accessTokenHeader: 'x-portico-key', allowedIps: '192.0.2.1' });
    expect((await t.http.get('/api/v1/settings/external-login').set(api())).body.accessTokenSet).toBe(true);
    await admin.submit(path, { accessTokenHeader: 'x-portico-key', allowedIps: '', removeAccessToken: 'on' });
    expect((await t.http.get('/api/v1/settings/external-login').set(api())).body).toMatchObject({
      enabled: false,
      accessTokenSet: false,
      allowedIps: [],
    });
  });

  it('refuses every form without its CSRF token', async () => {
    for (const path of ['/console/external-login', '/console/settings/external-login']) {
      const res = await admin.postRaw(path, { name: 'x', enabled: 'on' });
      expect(res.status).toBe(403);
      expect(decode(res.text)).toContain(CSRF_REFUSED);
    }
  });
});
