import type { Browser, Locator, Page } from 'playwright-core';
import { browserTests, collectProblems, consoleSignIn, follow, launchChromium, submit } from '../support/browser';
import { totpCode } from '../../libs/auth/src/totp/totp';
import { makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'Velvet-Otter-42-river';
const TENANT_USER = 'tom@globex.example';
const DIRECT_USER = 'grace@direct.example';
const SETTINGS = '/console/settings/authentication';
const NO_SIGNUP = 'There is no sign-up page here.';

const run = browserTests('console authentication browser tests') ? describe : describe.skip;

run('console: authentication settings, tenant overrides and authenticator reset, in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let admin: Page;
  let tenant: TenantFixture;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    tenant = await makeTenant(t, 'globex');
    await makeUser(t, tenant.auth, { email: TENANT_USER, firstName: 'Tom', lastName: 'Globex', password: PASSWORD });
    await makeUser(t, t.admin, { email: DIRECT_USER, firstName: 'Grace', lastName: 'Hopper', password: PASSWORD });
    browser = await launchChromium();
    admin = await (await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } })).newPage();
    // Error statuses the tests provoke on purpose (400, 404) are logged as failed loads, and not collected.
    collectProblems(admin, consoleErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs the admin in to the console', async () => {
    await consoleSignIn(admin);
    expect(new URL(admin.url()).pathname).toBe('/console');
  });

  it('turns the sign-up page off and on globally', async () => {
    await admin.goto(SETTINGS);
    await shot(admin, 'settings');
    await setGlobalSignup(false);
    expect(await admin.getByLabel(/Sign-up page enabled/).isChecked()).toBe(false);
    expect(await visit('/signup')).toEqual({ status: 404, text: expect.stringContaining(NO_SIGNUP) });

    await setGlobalSignup(true);
    const open = await visit('/signup');
    expect(open.status).toBe(200);
    expect(open.text).toContain('Create your account');
  });

  it('shows a clear message and keeps the console around it for a number the form cannot take', async () => {
    await admin.goto(SETTINGS);
    // The browser's own range check would stop the form; the server must say it too.
    await admin.locator('form[action="/console/settings/authentication"]').evaluate((form) => form.setAttribute('novalidate', ''));
    await admin.getByLabel('Idle timeout (minutes)').fill('2');
    expect(await submit(admin.getByRole('button', { name: 'Save' }))).toBe(400);
    expect(await admin.getByRole('alert').innerText()).toContain('Idle timeout (minutes): must not be less than 5');
    expect(await admin.getByLabel('Idle timeout (minutes)').inputValue()).toBe('2');
    await admin.getByRole('navigation', { name: 'Console' }).waitFor();
    await shot(admin, 'settings-error');
  });

  it("sets a tenant's sign-up Off, then Inherit, which follows the global value", async () => {
    await admin.goto(`/console/tenants/${tenant.key}`);
    const section = authSection();
    expect(await section.getByRole('group', { name: 'Sign-up page' }).getByLabel('Inherit global (currently on)').isChecked()).toBe(true);
    expect(await section.getByTestId('effective-signup').innerText()).toMatch(/on\s+\(inherited from the global setting\)/);
    expect(await section.getByRole('link', { name: `/t/${tenant.key}/signup` }).getAttribute('href')).toBe(`/t/${tenant.key}/signup`);
    expect(await section.getByRole('link', { name: `/t/${tenant.key}/login` }).getAttribute('href')).toBe(`/t/${tenant.key}/login`);

    await section.getByRole('group', { name: 'Sign-up page' }).getByLabel('Off for this tenant').check();
    await saveTenantAuth();
    expect(await flashText()).toContain('Sign-up is off;');
    expect(await authSection().getByTestId('effective-signup').innerText()).toMatch(/off\s+\(set for this tenant\)/);
    expect(
      await authSection()
        .getByRole('link', { name: `/t/${tenant.key}/signup` })
        .count(),
    ).toBe(0);
    expect(await visit(`/t/${tenant.key}/signup`)).toEqual({ status: 404, text: expect.stringContaining(NO_SIGNUP) });
    expect((await visit('/signup')).status).toBe(200);

    await authSection()
      .getByRole('group', { name: 'Sign-up page' })
      .getByLabel(/Inherit global/)
      .check();
    await saveTenantAuth();
    expect(await flashText()).toContain('Sign-up is on (as set globally)');
    const inherited = await visit(`/t/${tenant.key}/signup`);
    expect(inherited.status).toBe(200);
    expect(inherited.text).toContain(`Create your account with Tenant ${tenant.key}`);

    // Inherit follows a later global change too.
    await setGlobalSignup(false);
    expect((await visit(`/t/${tenant.key}/signup`)).status).toBe(404);
    await admin.goto(`/console/tenants/${tenant.key}`);
    const inheritChoice = authSection().getByRole('group', { name: 'Sign-up page' }).locator('label', { hasText: 'Inherit global' });
    expect(await inheritChoice.innerText()).toBe('Inherit global (currently off)');
    expect(await inheritChoice.getByRole('radio').isChecked()).toBe(true);
    expect(await authSection().getByTestId('effective-signup').innerText()).toMatch(/off\s+\(inherited/);
    await setGlobalSignup(true);
    expect((await visit(`/t/${tenant.key}/signup`)).status).toBe(200);
  });

  it('turns password sign-in off for the tenant: its users are refused clearly, the admin still gets in', async () => {
    await admin.goto(`/console/tenants/${tenant.key}`);
    const methods = authSection().getByRole('group', { name: 'Sign-in methods' });
    await methods.getByLabel('Custom for this tenant').check();
    await methods.getByLabel('Password', { exact: true }).uncheck();
    await methods.getByLabel('SAML', { exact: true }).check();
    await saveTenantAuth();
    expect(await flashText()).toContain('sign-in with SAML.');
    expect(await authSection().getByTestId('effective-methods').innerText()).toBe('SAML (set for this tenant)');
    await shot(admin, 'tenant');

    const refused = await signIn(`/t/${tenant.key}/login`, TENANT_USER, PASSWORD);
    expect(refused.status).toBe(403);
    expect(refused.alert).toBe('Signing in with a password is turned off. Ask your administrator how to sign in.');
    expect(refused.path).toBe(`/t/${tenant.key}/login`);
    // Other users are not affected.
    expect((await signIn('/login', DIRECT_USER, PASSWORD)).path).toBe('/account');

    const console = await signIn('/console/login', ADMIN_EMAIL, ADMIN_PASSWORD, { email: true });
    expect(console.path).toBe('/console');

    await admin.goto(`/console/tenants/${tenant.key}`);
    await authSection()
      .getByRole('group', { name: 'Sign-in methods' })
      .getByLabel(/Inherit global/)
      .check();
    await saveTenantAuth();
    expect(await authSection().getByTestId('effective-methods').innerText()).toBe('password (inherited from the global setting)');
    await shot(admin, 'tenant-inherit');
    expect((await signIn(`/t/${tenant.key}/login`, TENANT_USER, PASSWORD)).path).toBe('/account');
  });

  it("resets a user's authenticator: the user then signs in with the password alone", async () => {
    // The user sets up an authenticator app, reading the key from the page like an app would.
    const context = await browser.newContext({ baseURL: t.baseUrl });
    const user = await context.newPage();
    await user.goto('/login');
    await user.getByLabel('Email or username').fill(DIRECT_USER);
    await user.getByLabel('Password').fill(PASSWORD);
    await follow(user.getByRole('button', { name: 'Sign in' }));
    await user.goto('/account/authenticator');
    const secret = (await user.getByTestId('totp-secret').innerText()).trim();
    await user.getByLabel('Then enter the code the app shows').fill(totpCode(secret));
    await follow(user.getByRole('button', { name: 'Turn on' }));
    expect(await user.getByRole('status').innerText()).toContain('Your authenticator app is on');
    await context.close();

    // Signing in now asks for a code.
    expect((await signIn('/login', DIRECT_USER, PASSWORD)).path).toBe('/login/authenticator');

    await admin.goto('/console/users');
    const row = admin.locator(`tr[data-email="${DIRECT_USER}"]`);
    expect(await row.getByTestId('authenticator-badge').innerText()).toBe('authenticator app');
    expect(await admin.locator(`tr[data-email="${TENANT_USER}"]`).getByTestId('authenticator-badge').count()).toBe(0);
    await shot(admin, 'users');
    await follow(row.getByRole('link', { name: DIRECT_USER }));
    const userPage = new URL(admin.url()).pathname;
    expect((await admin.getByTestId('authenticator-state').innerText()).trim()).toMatch(/^enrolled/);
    await follow(admin.getByRole('link', { name: 'Reset authenticator…' }));
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe(`Reset the authenticator app of ${DIRECT_USER}?`);
    await shot(admin, 'reset-confirm');
    expect(await submit(admin.getByRole('button', { name: 'Reset authenticator' }))).toBe(303);
    expect(new URL(admin.url()).pathname).toBe(userPage);
    expect(await flashText()).toBe(
      `Authenticator app of ${DIRECT_USER} reset. They now sign in with their password alone until they set up an authenticator app again.`,
    );
    expect((await admin.getByTestId('authenticator-state').innerText()).trim()).toBe('not enrolled');
    expect(await admin.getByRole('link', { name: 'Reset authenticator…' }).count()).toBe(0);

    const after = await signIn('/login', DIRECT_USER, PASSWORD);
    expect(after.path).toBe('/account');
    expect(after.text).toMatch(/Authenticator app\s+off/);
  });

  it('shows a console 404 inside the console, with its menu', async () => {
    const res = await admin.goto('/console/tenants/no-such-tenant');
    expect(res?.status()).toBe(404);
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe('404 · Not Found');
    expect(await admin.locator('main').innerText()).toContain('Tenant "no-such-tenant" not found');
    expect(await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Tenants' }).getAttribute('class')).toContain(
      'active',
    );
    expect(await admin.locator('.topbar .who').innerText()).toBe(ADMIN_EMAIL);
    await shot(admin, 'not-found');
  });

  it('loaded every console page without script errors', () => {
    expect(consoleErrors).toEqual([]);
  });

  function authSection(): Locator {
    return admin.getByRole('region', { name: 'Authentication' });
  }

  async function saveTenantAuth(): Promise<void> {
    expect(await submit(authSection().getByRole('button', { name: 'Save authentication settings' }))).toBe(303);
    expect(new URL(admin.url()).pathname).toBe(`/console/tenants/${tenant.key}`);
  }

  async function setGlobalSignup(on: boolean): Promise<void> {
    await admin.goto(SETTINGS);
    await admin.getByLabel(/Sign-up page enabled/).setChecked(on);
    expect(await submit(admin.getByRole('button', { name: 'Save' }))).toBe(303);
    expect(await flashText()).toBe('Authentication settings saved. They apply from the next request on.');
  }

  async function flashText(): Promise<string> {
    return (await admin.getByRole('status').innerText()).trim();
  }

  /** A visitor without a session opens a page: its status and visible text. */
  async function visit(path: string): Promise<{ status: number; text: string }> {
    const context = await browser.newContext({ baseURL: t.baseUrl });
    try {
      const page = await context.newPage();
      const res = await page.goto(path);
      return { status: res!.status(), text: await page.locator('body').innerText() };
    } finally {
      await context.close();
    }
  }

  /** Someone signs in on a login page in a fresh browser: the POST's status, where they end up, what they see. */
  async function signIn(
    path: string,
    login: string,
    password: string,
    opts: { email?: boolean } = {},
  ): Promise<{ status: number; path: string; alert: string | null; text: string }> {
    const context = await browser.newContext({ baseURL: t.baseUrl });
    try {
      const page = await context.newPage();
      await page.goto(path);
      await page.getByLabel(opts.email ? 'Email' : 'Email or username').fill(login);
      await page.getByLabel('Password').fill(password);
      const status = await submit(page.getByRole('button', { name: 'Sign in' }));
      const alert = page.getByRole('alert');
      return {
        status,
        path: new URL(page.url()).pathname,
        alert: (await alert.count()) ? (await alert.innerText()).trim() : null,
        text: await page.locator('body').innerText(),
      };
    } finally {
      await context.close();
    }
  }

  async function shot(p: Page, name: string): Promise<void> {
    await p.screenshot({ path: `/tmp/console-auth-${name}.png`, fullPage: true });
  }
});
