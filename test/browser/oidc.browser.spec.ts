import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS, follow } from '../support/browser';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { relyingParty, startOidcApp } from '../support/oidc-rp';
import { freePort } from '../support/ports';
import { authnRequestOf, requireXmlsec, TestIdp } from '../support/saml-idp';
import { samlTenant, type SamlTenant } from '../support/saml-setup';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type TestApp } from '../support/test-app';
import { csrfOf, WebSession } from '../support/web-session';
import { Phone } from '../support/phone';

const PASSWORD = 'Harbour-Kestrel-58-lantern';
const SHOTS = '/tmp/shots';
const WIDTHS = [1280, 390];

/**
 * A small relying party, as a partner would write it with openid-client: "/" offers sign-in,
 * "/login" sends the browser to Portico (PKCE, state, nonce), "/callback" redeems the code, checks
 * the ID token and shows its claims and the userinfo answer.
 */
class RelyingPartyApp {
  readonly server: Server;
  private readonly pending = new Map<string, { verifier: string; state: string; nonce: string }>();
  private config!: oidc.Configuration;
  private counter = 0;

  constructor(
    readonly port: number,
    private readonly extraParams: Record<string, string> = {},
  ) {
    this.server = createServer((req, res) => {
      this.handle(req.url ?? '/', req.headers.cookie ?? '').then(
        ({ status, headers, body }) => res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...headers }).end(body),
        (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`RP error: ${String(err)}`),
      );
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get redirectUri(): string {
    return `${this.base}/callback`;
  }

  async start(issuer: string, clientId: string, clientSecret: string): Promise<void> {
    this.config = await relyingParty(issuer, clientId, clientSecret);
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(url: string, cookie: string): Promise<{ status: number; headers?: Record<string, string>; body: string }> {
    const path = new URL(url, this.base).pathname;
    if (path === '/') return { status: 200, body: '<h1>Partner app</h1><a href="/login">Sign in with Portico</a>' };
    if (path === '/login') {
      const id = String(++this.counter);
      const checks = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
      this.pending.set(id, checks);
      const to = oidc.buildAuthorizationUrl(this.config, {
        redirect_uri: this.redirectUri,
        scope: 'openid profile email organizations',
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
        code_challenge_method: 'S256',
        state: checks.state,
        nonce: checks.nonce,
        ...this.extraParams,
      });
      return { status: 303, headers: { Location: to.href, 'Set-Cookie': `rp=${id}; Path=/; HttpOnly; SameSite=Lax` }, body: '' };
    }
    if (path === '/callback') {
      const checks = this.pending.get(/(?:^|;\s*)rp=(\d+)/.exec(cookie)?.[1] ?? '');
      if (!checks) return { status: 400, body: '<h1>No sign-in in progress</h1>' };
      const tokens = await oidc.authorizationCodeGrant(this.config, new URL(url, this.base), {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const userinfo = await oidc.fetchUserInfo(this.config, tokens.access_token, claims.sub);
      const esc = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;');
      const json = (v: unknown) => esc(JSON.stringify(v, null, 2));
      return {
        status: 200,
        body: `<h1>Signed in as ${esc(userinfo.email)}</h1><pre id="claims">${json(claims)}</pre><pre id="userinfo">${json(userinfo)}</pre>`,
      };
    }
    return { status: 404, body: 'not found' };
  }
}

const run = chromiumPresent ? describe.each(databaseKinds()) : describe.skip.each(databaseKinds());
if (!chromiumPresent) {
  if (process.env.CI === 'true')
    throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests (apt-get install chromium)`);
  process.stderr.write(`\n  [skipped] OIDC browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium to run them)\n\n`);
}
const samlReady = requireXmlsec();

/** "Sign in with Portico" end to end in Chromium: partner apps, the SAML chain, and the console's Applications area. */
run('Sign in with Portico in a real browser (%s)', (kind) => {
  let t: TestApp & { issuer: string };
  let browser: Browser;
  let tenant: TenantFixture;
  let org: { id: string; siteId: number; name: string };
  let ada: { id: string; email: string };
  let phone: Phone;
  let app: RelyingPartyApp;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startOidcApp(kind);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });

    tenant = await makeTenant(t);
    org = await makeOrganization(t, tenant.auth, { name: 'Kestrel Shipping', externalUid: 'grp-kestrel' });
    ada = await makeUser(t, tenant.auth, {
      email: `ada-${kind}@kestrel.example`,
      firstName: 'Ada',
      lastName: 'Kestrel',
      password: PASSWORD,
      organizationId: org.id,
      role: 'admin',
    });
    phone = await enrollAuthenticator(ada.email, `/t/${tenant.key}/login`);

    app = new RelyingPartyApp(await freePort());
    const client = await createClient({ name: 'Kestrel Analytics', tenantKey: tenant.key, redirectUris: [app.redirectUri] });
    await app.start(t.issuer, client.clientId, client.clientSecret);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });

  it('signs a tenant user in to a partner app through the password and authenticator pages and consent', async () => {
    const { page, context } = await newPage();
    await page.goto(`${app.base}/`);
    await follow(page.getByRole('link', { name: 'Sign in with Portico' }));
    // The tenant's application sends people to the tenant's own sign-in page.
    expect(new URL(page.url()).pathname).toBe(`/t/${tenant.key}/login`);
    await page.getByLabel('Email or username').fill(ada.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await submit(page, page.getByRole('button', { name: 'Sign in' }));
    expect(new URL(page.url()).pathname).toBe('/login/authenticator');
    await page.getByLabel('Code').fill(await phone.code());
    await submit(page, page.getByRole('button', { name: 'Continue' }));

    // Not first party: the consent page names the application and what it asks for.
    await page.getByRole('heading', { name: 'Allow Kestrel Analytics to sign you in?' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Your tenant, your organizations and your role in each');
    await shots(page, 'consent');
    await submit(page, page.getByRole('button', { name: 'Allow' }));

    // Back at the partner app, which verified the ID token and read userinfo.
    await page.waitForURL(`${app.base}/callback?**`);
    await page.getByRole('heading', { name: `Signed in as ${ada.email}` }).waitFor();
    const claims = JSON.parse(await page.locator('#claims').innerText()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: t.issuer, sub: ada.id });
    // Password and authenticator app: both methods, and so multi-factor.
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({
      sub: ada.id,
      email: ada.email,
      given_name: 'Ada',
      family_name: 'Kestrel',
      tenant: tenant.key,
      organizations: [{ id: org.id, site_id: org.siteId, name: 'Kestrel Shipping', external_uid: 'grp-kestrel', role: 'admin' }],
    });

    // Single sign-on: a second sign-in at the app needs no password, code or consent.
    await page.goto(`${app.base}/login`);
    await page.locator('#claims').waitFor();
    expect(page.url().startsWith(`${app.base}/callback`)).toBe(true);
    await context.close();
  });

  (samlReady ? it : it.skip)("signs a tenant user in through the tenant's SAML IdP and lands at the app", async () => {
    const idp = new TestIdp();
    try {
      const st: SamlTenant = await samlTenant(t, idp);
      const grace = await makeUser(t, st.tenant.auth, { email: `grace-${kind}@saml.example`, firstName: 'Grace', lastName: 'Saml' });
      const samlApp = new RelyingPartyApp(await freePort());
      const client = await createClient({
        name: 'SAML Partner App',
        tenantKey: st.tenant.key,
        redirectUris: [samlApp.redirectUri],
        firstParty: true,
      });
      await samlApp.start(t.issuer, client.clientId, client.clientSecret);
      try {
        const { page, context } = await newPage();
        // The IdP: Chromium's requests to it are answered here, with a response xmlsec1 signed.
        await page.route(`${new URL(idp.ssoUrl).origin}/**`, async (route) => {
          const { id } = authnRequestOf(route.request().url());
          const relayState = new URL(route.request().url()).searchParams.get('RelayState') ?? '';
          const response = idp.signedResponse({
            acsUrl: st.acsUrl,
            spEntityId: st.spEntityId,
            idpEntityId: idp.entityId,
            nameId: `uid-grace-${kind}`,
            inResponseTo: id,
            attributes: { email: grace.email },
          });
          const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
          await route.fulfill({
            contentType: 'text/html',
            body: `<h1>Test IdP</h1><form method="post" action="${esc(st.acsUrl)}">
              <input type="hidden" name="SAMLResponse" value="${response}">
              <input type="hidden" name="RelayState" value="${esc(relayState)}">
              <button type="submit">Continue to Portico</button></form>`,
          });
        });
        await page.goto(`${samlApp.base}/login`);
        expect(new URL(page.url()).pathname).toBe(`/t/${st.tenant.key}/login`);
        await follow(page.getByTestId('sso-sign-in'));
        await page.getByRole('heading', { name: 'Test IdP' }).waitFor();
        await follow(page.getByRole('button', { name: 'Continue to Portico' }));

        // First party: no consent page; straight back to the app with the SAML user's claims.
        await page.waitForURL(`${samlApp.base}/callback?**`);
        const claims = JSON.parse(await page.locator('#claims').innerText()) as Record<string, unknown>;
        expect(claims).toMatchObject({ iss: t.issuer, sub: grace.id });
        const userinfo = JSON.parse(await page.locator('#userinfo').innerText()) as Record<string, unknown>;
        expect(userinfo).toMatchObject({ sub: grace.id, email: grace.email, tenant: st.tenant.key });
        await context.close();
      } finally {
        await samlApp.close();
      }
    } finally {
      idp.close();
    }
  });

  describe('the console', () => {
    let page: Page;
    let context: BrowserContext;
    let clientId: string;
    let secret: string;

    beforeAll(async () => {
      ({ page, context } = await newPage());
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
      await page.goto(`${t.baseUrl}/console/login`);
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await submit(page, page.getByRole('button', { name: 'Sign in' }));
    });
    afterAll(() => context?.close());

    it('lists applications with their tenant and type, and the tenant page lists its own', async () => {
      await page.goto(`${t.baseUrl}/console`);
      await follow(page.locator('.sidenav').getByRole('link', { name: 'Applications' }));
      const row = page.getByTestId('application-row').filter({ hasText: 'Kestrel Analytics' });
      expect(await row.innerText()).toMatch(new RegExp(`Kestrel Analytics\\s+pc_[0-9a-f]{24}\\s+${tenant.key}\\s+confidential`));
      await shots(page, 'applications-list');

      await page.goto(`${t.baseUrl}/console/tenants/${tenant.key}`);
      const own = page.getByTestId('tenant-application-row');
      expect(await own.count()).toBe(1);
      expect(await own.innerText()).toContain('Kestrel Analytics');
      await follow(own.getByRole('link', { name: 'Kestrel Analytics' }));
      await page.getByRole('heading', { name: 'Kestrel Analytics' }).waitFor();
    });

    it('explains a bad redirect URI beside its field and keeps what was typed', async () => {
      await page.goto(`${t.baseUrl}/console/applications`);
      await follow(page.getByRole('link', { name: 'New application' }));
      await shots(page, 'application-new');
      await page.getByLabel('Name').fill('Harbour Portal');
      await page.getByLabel(/^Redirect URIs/).fill('https://harbour.example/callback\nhttps://harbour.example/cb#frag');
      expect(await submit(page, page.getByRole('button', { name: 'Create application' }))).toBe(400);
      const error = await page.getByTestId('error-redirectUris').innerText();
      expect(error).toMatch(/^Redirect URIs, line 2: .*fragment/);
      expect(await page.getByLabel('Name').inputValue()).toBe('Harbour Portal');
      expect((await page.getByLabel(/^Redirect URIs/).inputValue()).split(/\r?\n/)).toEqual([
        'https://harbour.example/callback',
        'https://harbour.example/cb#frag',
      ]);
      await shots(page, 'application-new-error');
    });

    it('creates an application whose secret is shown once with a copy button, and works at the token endpoint', async () => {
      await page.getByLabel('Tenant').selectOption({ label: `Tenant ${tenant.key} (${tenant.key}): its users only` });
      await page.getByLabel(/^Redirect URIs/).fill('https://harbour.example/callback');
      await page.getByLabel('Client credentials (the application calls for itself)').check();
      expect(await submit(page, page.getByRole('button', { name: 'Create application' }))).toBe(303);
      clientId = (await page.getByTestId('client-id').innerText()).trim();
      expect(clientId).toMatch(/^pc_[0-9a-f]{24}$/);
      expect(new URL(page.url()).pathname).toBe(`/console/applications/${clientId}`);
      secret = (await page.getByTestId('secret').innerText()).trim();
      expect(secret.length).toBeGreaterThanOrEqual(40);
      await shots(page, 'application-created-secret');

      await page.getByRole('status').getByRole('button', { name: 'Copy' }).click();
      await page.getByRole('status').getByRole('button', { name: 'Copied' }).waitFor();
      // Runs in the page (the test's tsconfig has no DOM types).
      const clipboard = await page.evaluate('navigator.clipboard.readText()');
      expect(clipboard).toBe(secret);

      expect(await clientCredentials(clientId, secret)).toBe(true);
      // Shown once: gone after a reload.
      await page.reload();
      expect(await page.getByTestId('secret').count()).toBe(0);
      expect(await page.content()).not.toContain(secret);
    });

    it('rotates the secret only after confirmation; the old one stops working', async () => {
      await follow(page.getByRole('link', { name: 'Rotate secret…' }));
      await page.getByRole('heading', { name: 'Replace the client secret of “Harbour Portal”?' }).waitFor();
      // Cancel changes nothing.
      await follow(page.getByRole('link', { name: 'Cancel' }));
      expect(await clientCredentials(clientId, secret)).toBe(true);

      await follow(page.getByRole('link', { name: 'Rotate secret…' }));
      await submit(page, page.getByRole('button', { name: 'Replace the secret' }));
      const rotated = (await page.getByTestId('secret').innerText()).trim();
      expect(rotated).not.toBe(secret);
      expect(await clientCredentials(clientId, secret)).toBe(false);
      expect(await clientCredentials(clientId, rotated)).toBe(true);
    });

    it('edits an application and shows the change', async () => {
      await page.getByLabel('Access token lifetime').fill('600');
      await page.getByLabel('Post-logout redirect URIs').fill('https://harbour.example/');
      await submit(page, page.getByRole('button', { name: 'Save' }));
      await page.getByRole('status').getByText('Application saved.').waitFor();
      expect(await page.getByLabel('Access token lifetime').inputValue()).toBe('600');
      expect(await page.getByLabel('Post-logout redirect URIs').inputValue()).toBe('https://harbour.example/');
    });

    it('tries sign-in for an application and shows the claims and userinfo it got back', async () => {
      await page.goto(`${t.baseUrl}/console/applications`);
      await follow(page.getByRole('link', { name: 'Kestrel Analytics' }));
      await page.getByLabel('Sign in again (as someone else) rather than with the current session').check();
      await submit(page, page.getByRole('button', { name: 'Try sign-in' }));
      // The tenant's sign-in page: Ada signs in (which ends the admin's console session in this browser).
      expect(new URL(page.url()).pathname).toBe(`/t/${tenant.key}/login`);
      await page.getByLabel('Email or username').fill(ada.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await submit(page, page.getByRole('button', { name: 'Sign in' }));
      await page.getByLabel('Code').fill(await phone.code());
      await submit(page, page.getByRole('button', { name: 'Continue' }));
      await page.getByRole('heading', { name: 'Allow Kestrel Analytics (console try) to sign you in?' }).waitFor();
      await submit(page, page.getByRole('button', { name: 'Allow' }));

      await page.getByRole('heading', { name: 'Try sign-in' }).waitFor();
      const claim = (table: string, name: string) => page.getByTestId(table).locator(`tr[data-claim="${name}"] td`).nth(1).innerText();
      expect(await claim('id-token-claims', 'sub')).toBe(ada.id);
      expect(await claim('id-token-claims', 'iss')).toBe(t.issuer);
      expect(await claim('userinfo-claims', 'tenant')).toBe(tenant.key);
      expect(await claim('userinfo-claims', 'organizations')).toContain('"name":"Kestrel Shipping"');
      await shots(page, 'application-try-result');

      // Ada's sign-in replaced the admin's session in this browser: the admin signs in again.
      await page.goto(`${t.baseUrl}/console/login`);
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await submit(page, page.getByRole('button', { name: 'Sign in' }));
    });

    it('refuses a try callback that no admin started', async () => {
      const res = await page.goto(`${t.baseUrl}/console/applications/${clientId}/try/callback?code=abc&state=forged`);
      expect(res?.status()).toBe(400);
      expect(await page.getByRole('alert').innerText()).toContain('not the answer to a sign-in try');
    });

    it('rotates the signing keys after confirmation; the previous ones stay published until they retire', async () => {
      await page.goto(`${t.baseUrl}/console`);
      await follow(page.locator('.sidenav').getByRole('link', { name: 'Signing keys' }));
      const before = await page.getByTestId('key-row').allInnerTexts();
      expect(before).toHaveLength(2);
      expect(before.every((r) => r.includes('signing'))).toBe(true);
      await shots(page, 'signing-keys');

      await follow(page.getByRole('link', { name: 'Rotate signing keys…' }));
      await page.getByRole('heading', { name: 'Rotate the signing keys?' }).waitFor();
      await submit(page, page.getByRole('button', { name: 'Rotate signing keys' }));
      expect(new URL(page.url()).pathname).toBe('/console/oidc/keys');
      const after = await page.getByTestId('key-row').allInnerTexts();
      expect(after).toHaveLength(4);
      expect(after.filter((r) => r.includes('signing'))).toHaveLength(2);
      expect(after.filter((r) => r.includes('retires'))).toHaveLength(2);
      // The JWKS serves all four, so tokens signed before the rotation still verify.
      const jwks = (await (await fetch(`${t.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys).toHaveLength(4);
      await shots(page, 'signing-keys-rotated');
    });

    it('deletes an application only after confirmation', async () => {
      await page.goto(`${t.baseUrl}/console/applications/${clientId}`);
      await follow(page.getByRole('link', { name: 'Delete application…' }));
      await page.getByRole('heading', { name: 'Delete the application “Harbour Portal”?' }).waitFor();
      await submit(page, page.getByRole('button', { name: 'Delete application' }));
      expect(new URL(page.url()).pathname).toBe('/console/applications');
      await page.getByRole('status').getByText('Application “Harbour Portal” deleted').waitFor();
      expect(await page.getByTestId('application-row').filter({ hasText: 'Harbour Portal' }).count()).toBe(0);
      expect(await clientCredentials(clientId, secret)).toBe(false);
      const res = await page.goto(`${t.baseUrl}/console/applications/${clientId}`);
      expect(res?.status()).toBe(404);
    });
  });

  // A describe of its own, so it runs after the console's (Jest runs a block's own tests before its nested blocks).
  describe('every page', () => {
    it('ran without script errors (CSP, the copy button)', () => {
      expect(pageErrors).toEqual([]);
    });
  });

  async function newPage(): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { page, context };
  }

  /** Signs in over HTTP and turns the authenticator on, as the person would on /account/authenticator. */
  async function enrollAuthenticator(email: string, loginPage: string): Promise<Phone> {
    const web = new WebSession(t);
    expect((await web.login(email, PASSWORD, loginPage)).status).toBe(303);
    const setup = await web.get('/account/authenticator');
    const enrolled = new Phone(/data-testid="totp-secret">([A-Z2-7]+)</.exec(setup.text)![1]);
    const res = await web.postRaw('/account/authenticator', { _csrf: csrfOf(setup.text), action: 'enable', code: await enrolled.code() });
    expect(res.status).toBe(303);
    return enrolled;
  }

  async function createClient(body: Record<string, unknown>): Promise<{ clientId: string; clientSecret: string }> {
    const res = await t.http.post('/api/v1/oidc/clients').set('Authorization', t.admin).send(body).expect(201);
    return res.body;
  }

  async function clientCredentials(id: string, clientSecret: string): Promise<boolean> {
    const res = await fetch(`${t.issuer}/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${id}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    return res.status === 200;
  }

  /** Clicks a submit button; answers the status of the POST it sent (before any redirect). */
  async function submit(p: Page, button: Locator): Promise<number> {
    const posted = p.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
    await follow(button);
    return (await posted).status();
  }

  /** The page at each width, for a person to look at. */
  async function shots(p: Page, name: string): Promise<void> {
    if (kind !== 'sqlite') return;
    for (const width of WIDTHS) {
      await p.setViewportSize({ width, height: 900 });
      await p.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
    }
    await p.setViewportSize({ width: 1280, height: 900 });
  }
});
