import type { Browser, Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { browserTests, consoleSession, follow, launchChromium, screenshots } from '../support/browser';
import { makeTenant, type TenantFixture } from '../support/factories';
import { FakeBillingApi } from '../support/fake-billing-api';
import { authnRequestOf, requireXmlsec, TestIdp } from '../support/saml-idp';
import { startTestApp, type TestApp } from '../support/test-app';

const run = browserTests('console tenants browser tests') && requireXmlsec() ? describe : describe.skip;

/**
 * An IdP on 127.0.0.1 for a person at a browser: its sign-in URL answers the AuthnRequest with a
 * page whose button posts a signed response (with the given attributes) back to Portico's ACS.
 */
async function startBrowserIdp(
  attributes: Record<string, string>,
): Promise<{ idp: TestIdp; server: Server; acs: { url: string; spEntityId: string; postTo: string } }> {
  // `url` is the ACS as Portico names it (from PUBLIC_URL), `postTo` where this test app really listens.
  const acs = { url: '', spEntityId: '', postTo: '' };
  let idp: TestIdp | null = null;
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/sso?')) return void res.writeHead(404).end();
    const { id } = authnRequestOf(`http://idp${req.url}`);
    const response = idp!.signedResponse({
      acsUrl: acs.url,
      spEntityId: acs.spEntityId,
      idpEntityId: idp!.entityId,
      nameId: 'uid-browser',
      inResponseTo: id,
      attributes,
    });
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      `<!doctype html><title>Test IdP</title><h1>Test IdP sign-in</h1><form method="post" action="${acs.postTo}">` +
        `<input type="hidden" name="SAMLResponse" value="${response}"><button>Continue to Portico</button></form>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  idp = new TestIdp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/idp`);
  return { idp, server, acs };
}

/** The tenant page as an administrator uses it: integrations, confirmations, no duplicates, the SAML test login. */
run('console: a tenant’s page in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let tenant: TenantFixture;
  let billing: FakeBillingApi;
  let browserIdp: Awaited<ReturnType<typeof startBrowserIdp>>;
  const problems: string[] = [];
  const tenantPage = () => `/console/tenants/${tenant.key}`;
  const flash = () => page.locator('.flash').first();
  const shots = (name: string) => screenshots(page, `console-tenants-${name}`);

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    tenant = await makeTenant(t, 'acme-portal');
    billing = await new FakeBillingApi().start();
    browserIdp = await startBrowserIdp({ email: 'tess@acme.example', name: 'Tess', surname: 'Ter' });
    browser = await launchChromium();
    page = await consoleSession(browser, t.baseUrl, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await billing?.close();
    browserIdp?.server.close();
    browserIdp?.idp.close();
  });

  afterEach(() => expect(problems.splice(0)).toEqual([]));

  it('edits the billing API and the embed origins, and tests the billing API without billing', async () => {
    await page.goto(tenantPage());
    const section = page.getByRole('region', { name: 'Integrations' });
    await section.getByLabel(/Through the tenant's billing API/).check();
    await section.getByLabel('Billing API URL').fill(billing.url);
    await section.getByLabel('User name').fill(billing.username);
    await section.getByLabel(/^Password/).fill(billing.password);
    await section.getByLabel(/private network/).check();
    await section.getByLabel(/Portal origins allowed to frame Portico/).fill('https://portal.example.com\nhttps://shop.example.com');
    await follow(section.getByRole('button', { name: 'Save integrations' }));
    expect(await flash().innerText()).toContain('Integrations saved: bills go to');
    // The password is never shown back; the field says one is stored.
    expect(await section.getByLabel(/^Password/).inputValue()).toBe('');
    await section.getByText('(stored; leave blank to keep it)').waitFor();
    expect(await section.getByLabel(/Portal origins/).inputValue()).toBe('https://portal.example.com\nhttps://shop.example.com');
    await shots('tenant-integrations');

    await follow(section.getByRole('button', { name: 'Test the saved billing API' }));
    expect(await page.getByTestId('billing-check-result').innerText()).toMatch(
      /^Reachable\. .* did not refuse the user name and password\.$/,
    );
    expect(billing.requests).toHaveLength(0);
    await shots('tenant-billing-test');
  });

  it('asks before revoking a key and before suspending: the first click changes nothing', async () => {
    await page.goto(tenantPage());
    const row = page.getByTestId('api-key-row').filter({ hasText: tenant.keyId });
    await follow(row.getByRole('link', { name: 'Revoke…' }));
    await page.getByRole('heading', { name: `Revoke API key ${tenant.keyId} (“test”)?` }).waitFor();
    await shots('confirm-revoke');
    await follow(page.getByRole('link', { name: 'Cancel' }));
    expect(await row.innerText()).toContain('active');
    expect(await apiStatus()).toBe(200);

    await follow(page.getByRole('link', { name: 'Suspend tenant…' }));
    expect(await page.getByRole('main').innerText()).toContain('answer 404 “not found”: its users cannot sign in');
    await shots('confirm-suspend');
    await follow(page.getByRole('link', { name: 'Cancel' }));
    await page
      .getByRole('heading', { name: /Tenant acme-portal/ })
      .getByText('active')
      .waitFor();
    expect(await apiStatus()).toBe(200);

    await follow(page.getByRole('link', { name: 'Suspend tenant…' }));
    await follow(page.getByRole('button', { name: 'Suspend tenant' }));
    await page
      .getByRole('heading', { name: /Tenant acme-portal/ })
      .getByText('suspended')
      .waitFor();
    expect(await apiStatus()).toBe(403);
    await follow(page.getByRole('button', { name: 'Reactivate tenant' }));
    expect(await apiStatus()).toBe(200);
  });

  it('asks before a real billing run; the dry run is the default', async () => {
    await page.goto('/console/billing');
    expect(await page.getByLabel(/Dry run:/).isChecked()).toBe(true);
    await page.getByLabel(/Real run:/).check();
    await follow(page.getByRole('button', { name: 'Run billing' }));
    await page.getByRole('heading', { name: /for real\?$/ }).waitFor();
    await shots('confirm-billing-run');
    await follow(page.getByRole('link', { name: 'Cancel' }));
    expect((await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin)).body.total).toBe(0);
  });

  it('creates an API key once: reloading the page shows the secret no more and creates no second key', async () => {
    await page.goto(tenantPage());
    const rows = page.getByTestId('api-key-row');
    const before = await rows.count();
    await page.getByRole('region', { name: 'API keys' }).getByLabel(/Label/).fill('reload check');
    await follow(page.getByRole('button', { name: 'Create API key' }));
    await page.getByTestId('secret').waitFor();
    expect(await rows.count()).toBe(before + 1);
    await page.reload();
    expect(await rows.count()).toBe(before + 1);
    expect(await page.getByTestId('secret').count()).toBe(0);
  });

  it('starts a SAML test login that reaches the IdP with no CSP violation and comes back with what it read', async () => {
    const saml = await t.http
      .put(`/api/v1/tenants/${tenant.key}/saml`)
      .set('Authorization', t.admin)
      .send({ idpEntityId: browserIdp.idp.entityId, idpSsoUrl: browserIdp.idp.ssoUrl, idpCertificates: [browserIdp.idp.keys.certPem] })
      .expect(200);
    browserIdp.acs.url = saml.body.acsUrl;
    browserIdp.acs.spEntityId = saml.body.spEntityId;
    browserIdp.acs.postTo = `${t.baseUrl}${new URL(saml.body.acsUrl).pathname}`;
    await page.goto(`${tenantPage()}/saml`);
    await follow(page.getByRole('button', { name: 'Start a test login' }));
    await page.getByRole('heading', { name: 'Test IdP sign-in' }).waitFor();
    expect(`${new URL(page.url()).origin}${new URL(page.url()).pathname}`).toBe(browserIdp.idp.ssoUrl);
    await follow(page.getByRole('button', { name: 'Continue to Portico' }));
    expect(await page.getByRole('main').innerText()).toContain('passed every check');
    expect(await page.getByTestId('test-email').innerText()).toBe('tess@acme.example');
  });

  it('saves sign-in settings that let nobody sign in with a warning, not a green “saved”', async () => {
    await page.goto(tenantPage());
    const section = page.getByRole('region', { name: 'Authentication' });
    await section.getByLabel('Custom for this tenant:').check();
    for (const box of await section.locator('.method-choices input[type=checkbox]').all()) await box.uncheck();
    await follow(section.getByRole('button', { name: 'Save authentication settings' }));
    // Not the red error flash: a yellow warning, announced as an alert.
    expect(await flash().getAttribute('class')).toContain('warning');
    expect(await flash().getAttribute('role')).toBe('alert');
    expect(await flash().innerText()).toMatch(/^Saved, but nobody in this tenant can sign in now\./);
    await shots('tenant-nobody-signs-in');
  });

  async function apiStatus(): Promise<number> {
    return (await t.http.get('/api/v1/users').set('Authorization', tenant.auth)).status;
  }
});
