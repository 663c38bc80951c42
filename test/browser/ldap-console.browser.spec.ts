import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS, follow } from '../support/browser';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { groupDn, GROUPS, PEOPLE, SERVICE_DN, Slapd, slapdPresent, SUFFIX } from '../support/slapd';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app';

const ready = chromiumPresent && slapdPresent('LDAP console browser tests');

/** The LDAP pages in a real Chromium against a real slapd; screenshots go to /tmp/ldap-*.png. */
describe('LDAP console in a real browser', () => {
  let t: TestApp;
  let slapd: Slapd;
  let browser: Browser;
  let page: Page;
  let tenant: TenantFixture;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests`);
      process.stderr.write(`\n  [skipped] LDAP console browser tests: no Chromium at ${CHROMIUM}\n\n`);
    }
    if (!ready) return;
    slapd = await Slapd.start({ users: Object.values(PEOPLE), groups: Object.values(GROUPS) });
    t = await startTestApp('sqlite');
    tenant = await makeTenant(t, 'acme-portal');
    await makeOrganization(t, tenant.auth, { name: 'Acme admins', externalUid: 'admins' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto('/console/login');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await submit(page.getByRole('button', { name: 'Sign in' }));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await slapd?.stop();
  });
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('sets up a tenant’s directory from its LDAP tab, tests a user and signs them in', async () => {
    if (!ready) return;
    await page.goto('/console/tenants/acme-portal');
    await follow(page.getByRole('navigation', { name: 'Tenant' }).getByRole('link', { name: 'LDAP' }));
    expect(new URL(page.url()).pathname).toBe('/console/tenants/acme-portal/ldap');
    await page.getByTestId('ldap-off').waitFor();
    await shot('tenant-tab-empty');

    // A mistake first: the page says what is wrong and keeps what was typed.
    await page.getByLabel('Name', { exact: true }).fill('Acme directory');
    await page.getByLabel('URL').fill('ldaps://127.0.0.1:636/dc=portico');
    await page.getByLabel('Search base', { exact: true }).fill(`ou=people,${SUFFIX}`);
    expect(await submit(page.getByRole('button', { name: 'Create directory' }))).toBe(400);
    expect(await page.getByTestId('form-errors').textContent()).toContain('URL must be just the server');
    await shot('tenant-tab-error');

    await page.getByLabel('URL').fill(slapd.ldapsUrl);
    await page.locator('textarea[name=caCertificate]').fill(slapd.pki.ca);
    await page.getByLabel('Bind DN').fill(SERVICE_DN);
    await page.getByLabel('Bind password').fill(slapd.servicePassword);
    await page.locator('textarea[name=groupRoleMapping]').fill(`admin: ${groupDn(GROUPS.admins)}\nmember: ${groupDn(GROUPS.staff)}`);
    await page.getByLabel(/Create the Portico user/).check();
    expect(await submit(page.getByRole('button', { name: 'Create directory' }))).toBe(303);
    await page.getByRole('status').getByText('Directory “Acme directory” created').waitFor();
    expect(await page.getByTestId('transport').textContent()).toBe('LDAPS');

    await page.getByLabel('Username', { exact: true }).fill('ada');
    await page.locator('input[name=password]').fill(PEOPLE.ada.password);
    await submit(page.getByRole('button', { name: 'Test', exact: true }));
    expect(await page.getByTestId('test-outcome').textContent()).toBe('authenticated');
    expect(await page.getByTestId('test-memberships').textContent()).toContain('admin in Acme admins');
    expect(await page.locator('input[name=password]').inputValue()).toBe('');
    await shot('directory-tested');

    // Saving the page as shown changes nothing: the CA and the mapping come back exactly as stored.
    const before = await directoryOf('acme-portal');
    expect(await submit(page.getByRole('button', { name: 'Save', exact: true }))).toBe(303);
    const after = await directoryOf('acme-portal');
    expect(after).toEqual({ ...before, updatedAt: after.updatedAt });
    expect(after.caCertificate).toBe(slapd.pki.ca.trim());

    // Turn LDAP on for the tenant, on its overview tab, then sign Ada in on the tenant's page.
    await page.goto('/console/tenants/acme-portal');
    await page.locator('input[name=methods][value=custom]').check();
    await page.locator('input[name=password][type=checkbox]').check();
    await page.locator('input[name=ldap][type=checkbox]').check();
    await submit(page.getByRole('button', { name: 'Save authentication settings' }));
    await shot('tenant-tab-list', '/console/tenants/acme-portal/ldap');

    const visitor = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1000, height: 700 } });
    const login = await visitor.newPage();
    await login.goto('/t/acme-portal/login');
    await login.getByTestId('ldap-hint').waitFor();
    await login.screenshot({ path: '/tmp/ldap-login-page.png', fullPage: true });
    await login.getByLabel('Email or username').fill('ada');
    await login.getByLabel('Password').fill(PEOPLE.ada.password);
    await Promise.all([login.waitForURL('**/account'), login.getByRole('button', { name: 'Sign in' }).click()]);
    await login.screenshot({ path: '/tmp/ldap-account.png', fullPage: true });
    await visitor.close();
  });

  it('shows a failed test in words, and the global directories page', async () => {
    if (!ready) return;
    await page.goto('/console/ldap-directories');
    await page.getByLabel('Name', { exact: true }).fill('Head office');
    await page.getByLabel('URL').fill(slapd.ldapUrl);
    await page.getByLabel(/StartTLS/).check();
    await page.locator('textarea[name=caCertificate]').fill(slapd.pki.otherCa);
    await page.getByLabel('Bind DN').fill(SERVICE_DN);
    await page.getByLabel('Bind password').fill(slapd.servicePassword);
    await page.getByLabel('Search base', { exact: true }).fill(`ou=people,${SUFFIX}`);
    expect(await submit(page.getByRole('button', { name: 'Create directory' }))).toBe(303);
    await page.getByLabel('Username', { exact: true }).fill('grace');
    await submit(page.getByRole('button', { name: 'Test', exact: true }));
    expect(await page.getByTestId('test-outcome').textContent()).toBe('failed');
    expect(await page.getByTestId('test-result').textContent()).toContain('verification is never turned off');
    await shot('directory-failed');
    await shot('global-list', '/console/ldap-directories');
  });

  async function directoryOf(tenantKey: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${t.baseUrl}/api/v1/ldap-directories?limit=500`, { headers: { Authorization: t.admin } });
    const items = ((await res.json()) as { items: Record<string, unknown>[] }).items;
    return items.find((d) => d.tenantKey === tenantKey)!;
  }

  async function submit(button: Locator): Promise<number> {
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
    await follow(button);
    return (await posted).status();
  }

  async function shot(name: string, path?: string): Promise<void> {
    if (path) await page.goto(path);
    await page.screenshot({ path: `/tmp/ldap-${name}.png`, fullPage: true });
  }
});
