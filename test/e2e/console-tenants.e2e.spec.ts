import { createServer } from 'node:net';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { FakeBillingApi } from '../support/fake-billing-api';
import { startTestApp, TestApp } from '../support/test-app';
import { consoleAdmin, decode, realProblems, WebSession } from '../support/web-session';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The tenant page's integrations (billing API with its test, embed origins, data sharing) and its confirmations. */
describe.each(databaseKinds())('console: a tenant’s integrations and safety (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;
  let api: FakeBillingApi;
  const page = () => `/console/tenants/${tenant.key}`;
  const settings = async () => (await t.http.get(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).expect(200)).body;
  const errorsOf = (html: string) =>
    [...(/data-testid="integration-errors"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  const checkOf = (html: string) =>
    decode(/data-testid="billing-check-result">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '').replace(/<[^>]+>/g, '');
  const integrations = (extra: Record<string, string> = {}) => ({
    billing: 'api',
    billingUrl: api.url,
    billingUsername: api.username,
    billingPassword: api.password,
    billingAllowPrivateNetwork: 'on',
    embedOrigins: 'https://portal.example.com\r\nhttps://shop.example.com:8443/',
    dataSharingUrl: 'https://portal.example.com/data',
    ...extra,
  });

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    api = await new FakeBillingApi().start();
    tenant = await makeTenant(t);
    admin = await consoleAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('saves the billing API with a write-only password, the embed origins and the data-sharing URL', async () => {
    const saved = await admin.submit(`${page()}/integrations`, integrations(), page());
    expect(saved.status).toBe(303);
    const shown = await admin.get(page());
    expect(decode(shown.text)).toContain(
      `Integrations saved: bills go to ${api.url}/account/bills; 2 portal origin(s) may frame its pages.`,
    );
    expect(shown.text).not.toContain(api.password);
    expect(await settings()).toMatchObject({
      billingApi: { url: api.url, username: api.username, passwordSet: true, allowPrivateNetwork: true },
      embedOrigins: ['https://portal.example.com', 'https://shop.example.com:8443'],
      dataSharingUrl: 'https://portal.example.com/data',
    });

    // A blank password keeps the stored one: the test still gets through.
    expect((await admin.submit(`${page()}/integrations`, integrations({ billingPassword: '' }), page())).status).toBe(303);
    const tested = await admin.submit(`${page()}/billing-api/test`, {}, page());
    expect(tested.status).toBe(200);
    expect(checkOf(tested.text)).toBe(
      `Reachable. ${api.url}/account/bills answered over plain HTTP (allowed for a private network) with HTTP 404 and did not refuse the user name and password.`,
    );
    // No bill was sent.
    expect(api.requests).toHaveLength(0);
  });

  it('says in words what is wrong with the billing API: wrong password, unreachable, not allowed, none', async () => {
    await admin.submit(`${page()}/integrations`, integrations({ billingPassword: 'not-the-password' }), page());
    const refused = await admin.submit(`${page()}/billing-api/test`, {}, page());
    expect(refused.status).toBe(400);
    expect(checkOf(refused.text)).toBe(
      `Problem. ${api.url}/account/bills answered over plain HTTP (allowed for a private network) with HTTP 401: it refused the user name and password.`,
    );

    const down = `http://127.0.0.1:${await closedPort()}/api`;
    await admin.submit(`${page()}/integrations`, integrations({ billingUrl: down }), page());
    const unreachable = await admin.submit(`${page()}/billing-api/test`, {}, page());
    expect(unreachable.status).toBe(400);
    expect(checkOf(unreachable.text)).toMatch(new RegExp(`^Problem\\. ${down}/account/bills could not be reached: .*ECONNREFUSED`));

    // A name that resolves to a loopback address, without the private-network permission: refused before any connection.
    const port = new URL(api.url).port;
    expect(
      (
        await admin.submit(
          `${page()}/integrations`,
          integrations({ billingUrl: `https://localhost:${port}/api`, billingAllowPrivateNetwork: '' }),
          page(),
        )
      ).status,
    ).toBe(303);
    const notAllowed = await admin.submit(`${page()}/billing-api/test`, {}, page());
    expect(notAllowed.status).toBe(400);
    expect(checkOf(notAllowed.text)).toMatch(
      new RegExp(`^Problem\\. Portico may not call https://localhost:${port}/api/account/bills: .*(127\\.0\\.0\\.1|::1)`),
    );

    // A loopback address typed as such is refused when saved, with the field named.
    const literal = await admin.submit(
      `${page()}/integrations`,
      integrations({ billingUrl: 'https://127.0.0.1/api', billingAllowPrivateNetwork: '' }),
      page(),
    );
    expect(literal.status).toBe(400);
    expect(errorsOf(literal.text)).toEqual([
      'Billing API URL: Refused to connect to 127.0.0.1 (127.0.0.1): a private or loopback address needs allowPrivateNetwork',
    ]);
    expect(literal.text).toContain('value="https://127.0.0.1/api"');

    expect((await admin.submit(`${page()}/integrations`, integrations({ billing: 'direct' }), page())).status).toBe(303);
    expect((await settings()).billingApi).toBeNull();
    const none = await admin.submit(`${page()}/billing-api/test`, {}, page());
    expect(none.status).toBe(400);
    expect(errorsOf(none.text)).toEqual(['No billing API is saved for this tenant: its organizations are billed directly in Portico.']);
    expect(api.requests).toHaveLength(0);
  });

  it('refuses bad origins and URLs line by line, keeping what was typed', async () => {
    const bad = await admin.submit(
      `${page()}/integrations`,
      integrations({
        embedOrigins: 'https://ok.example.com\nhttps://portal.example.com/app\njavascript:alert(1)',
        billingUrl: '',
        dataSharingUrl: 'nope',
      }),
      page(),
    );
    expect(bad.status).toBe(400);
    expect(errorsOf(bad.text)).toEqual([
      'Portal origins: “https://portal.example.com/app” is not an origin like https://portal.example.com (no path).',
      'Portal origins: “javascript:alert(1)” is not an origin like https://portal.example.com (no path).',
    ]);
    expect(bad.text).toContain('javascript:alert(1)</textarea>');
    const missing = await admin.submit(`${page()}/integrations`, integrations({ billingUrl: '', dataSharingUrl: 'nope' }), page());
    expect(missing.status).toBe(400);
    expect(errorsOf(missing.text)).toEqual([
      'Billing API URL is required.',
      'Data-sharing URL: must be an http(s) URL without credentials',
    ]);
    expect((await admin.postRaw(`${page()}/integrations`, integrations())).status).toBe(403);
  });

  it('asks before revoking a key, suspending, replacing the autologin secret or billing for real: the first click changes nothing', async () => {
    const detail = await admin.get(page());
    expect(detail.text).not.toContain('/revoke" class="inline"');
    const confirmRevoke = await admin.get(`${page()}/api-keys/${tenant.keyId}/revoke`);
    expect(decode(confirmRevoke.text)).toContain(`Revoke API key ${tenant.keyId} (“test”)?`);
    const confirmSuspend = await admin.get(`${page()}/suspend`);
    expect(decode(confirmSuspend.text)).toContain(`/t/${tenant.key}/login and /t/${tenant.key}/signup, answer 404`);
    expect(confirmSuspend.text).toMatch(/<input type="hidden" name="status" value="suspended">/);
    await admin.submit(`${page()}/autologin-secret`, {}, page());
    expect(decode((await admin.get(`${page()}/autologin-secret`)).text)).toContain('The current one stops working at once');
    const run = await admin.submit('/console/billing/runs', { period: '2026-11', dryRun: 'off' }, '/console/billing');
    expect(run.status).toBe(303);
    expect(run.headers.location).toBe('/console/billing/runs/confirm?period=2026-11');
    const confirmRun = decode((await admin.get(run.headers.location)).text);
    expect(confirmRun).toContain('Bill November 2026 for real?');
    expect(confirmRun).toMatch(/name="confirm" value="yes"/);
    expect((await admin.get('/console/billing/runs/confirm?period=2026-13')).status).toBe(400);

    expect((await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin)).body.total).toBe(0);
    expect((await t.http.get(`/api/v1/tenants/${tenant.key}`).set('Authorization', t.admin)).body.status).toBe('active');
    expect((await t.http.get('/api/v1/users').set('Authorization', tenant.auth)).status).toBe(200);

    const revoked = await admin.submit(`${page()}/api-keys/${tenant.keyId}/revoke`, {}, `${page()}/api-keys/${tenant.keyId}/revoke`);
    expect(revoked.status).toBe(303);
    expect((await t.http.get('/api/v1/users').set('Authorization', tenant.auth)).status).toBe(401);
  });

  it('saves a configuration that lets nobody sign in, with a warning instead of a green “saved”', async () => {
    const none = await admin.submit(`${page()}/settings`, { signup: 'inherit', methods: 'custom', emailVerification: 'inherit' }, page());
    expect(none.status).toBe(303);
    const warned = await admin.get(page());
    expect(decode(warned.text)).toMatch(/class="flash warning" role="alert">\s*<p>Saved, but nobody in this tenant can sign in now\./);
    await admin.submit(`${page()}/settings`, { signup: 'inherit', methods: 'inherit', emailVerification: 'inherit' }, page());
    expect(decode((await admin.get(page())).text)).toMatch(/class="flash success" role="status">\s*<p>Authentication settings saved\./);
  });
});
