import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserTests, CHROMIUM, LAUNCH_ARGS } from '../support/browser';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, type TenantFixture } from '../support/factories';
import { startOidcApp } from '../support/oidc-rp';
import { oidcTenant, TestOidcIdp } from '../support/tenant-oidc';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type TestApp } from '../support/test-app';

const SHOTS = '/tmp/shots';
const WIDTHS = [1280, 390];

const run = browserTests('tenant OpenID Connect browser tests') ? describe.each(databaseKinds()) : describe.skip.each(databaseKinds());

/** A tenant's own OpenID provider in Chromium: the console's test sign-in, and an end user's "Sign in with …". */
run('tenant OpenID Connect sign-in in a real browser (%s)', (kind) => {
  let t: TestApp & { issuer: string };
  let idp: TestOidcIdp;
  let browser: Browser;
  let tenant: TenantFixture;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Portico listens where its PUBLIC_URL says, so the provider sends the browser back to it.
    t = await startOidcApp(kind);
    tenant = await makeTenant(t);
    idp = await TestOidcIdp.start([`${t.config.publicUrl}/t/${tenant.key}/oidc/callback`]);
    idp.add({
      sub: 'idp-noor',
      email: `noor-${kind}@partner.example`,
      email_verified: true,
      given_name: 'Noor',
      family_name: 'Haddad',
      group_uid: 'grp-harbour',
      group_name: 'Harbour Logistics',
      group_role: 'admin',
    });
    idp.nextAccount = 'idp-noor';
    await makeOrganization(t, tenant.auth, { name: 'Walk-in Customers' });
    await oidcTenant(t, idp, { scopes: 'openid email profile groups', displayName: 'Harbour Directory' }, tenant);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await t?.close();
  });
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  async function newPage(): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(e.message)));
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { page, context };
  }

  async function shots(p: Page, name: string): Promise<void> {
    if (kind !== 'sqlite') return;
    for (const width of WIDTHS) {
      await p.setViewportSize({ width, height: 900 });
      await p.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
    }
    await p.setViewportSize({ width: 1280, height: 900 });
  }

  it('the console test sign-in opens the provider in a new window and shows the claims it received', async () => {
    const { page, context } = await newPage();
    try {
      await page.goto(`${t.baseUrl}/console/login`);
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${t.baseUrl}/console`), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.goto(`${t.baseUrl}/console/tenants/${tenant.key}/oidc`);
      await expect(page.getByTestId('oidc-status').textContent()).resolves.toBe('sign-in on');
      await expect(page.getByTestId('redirect-uri').textContent()).resolves.toBe(`${t.config.publicUrl}/t/${tenant.key}/oidc/callback`);
      await expect(page.getByTestId('discovered').textContent()).resolves.toContain(`${idp.issuer}/token`);
      await shots(page, 'tenant-oidc-console');

      const [popup] = await Promise.all([context.waitForEvent('page'), page.getByTestId('start-test').click()]);
      await popup.waitForURL(new RegExp(`/console/tenants/${tenant.key}/oidc/test/[0-9a-f]{32}$`));
      await expect(popup.getByTestId('test-result').textContent()).resolves.toContain("The provider's answer passed every check");
      await expect(popup.getByTestId('test-subject').textContent()).resolves.toBe('idp-noor');
      const claims = await popup.getByTestId('test-claims').textContent();
      expect(claims).toContain(`noor-${kind}@partner.example`);
      expect(claims).toContain('Harbour Logistics');
      await expect(popup.getByTestId('test-user-action').textContent()).resolves.toContain('create the user');
      await shots(popup, 'tenant-oidc-test-result');
      // The console window is still the admin's, and nobody was created.
      await page.reload();
      await expect(page.getByTestId('oidc-status').textContent()).resolves.toBe('sign-in on');
      const users = await t.http.get(`/api/v1/users?tenantKey=${tenant.key}`).set('Authorization', t.admin).expect(200);
      expect(users.body.total).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('an end user clicks "Sign in with …" on the tenant page and lands on /account', async () => {
    const { page, context } = await newPage();
    try {
      await page.goto(`${t.baseUrl}/t/${tenant.key}/login`);
      const button = page.getByRole('link', { name: 'Sign in with Harbour Directory' });
      await expect(button.isVisible()).resolves.toBe(true);
      await shots(page, 'tenant-oidc-sign-in');
      await Promise.all([page.waitForURL(`${t.baseUrl}/account`), button.click()]);
      const account = await page.locator('main').textContent();
      expect(account).toContain(`noor-${kind}@partner.example`);
      expect(account).toContain('Harbour Logistics');
    } finally {
      await context.close();
    }
  });
});
