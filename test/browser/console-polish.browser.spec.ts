import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserTests, consoleSession, follow, launchChromium } from '../support/browser';
import { makeTenant, type TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, basic, startTestApp, type TestApp } from '../support/test-app';

// The forms run in the page (the project compiles without the DOM's types).
type InPage = { document: { querySelectorAll(s: string): ArrayLike<{ noValidate: boolean }> } };

/** The console's polish as an admin meets it: copy buttons, a session that ended mid-form, errors beside their field. */
(browserTests('console polish') ? describe : describe.skip)('console polish in a real browser', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  // On the sign-in page a stale form led to, which brings the admin back where they were.
  const signIn = async () => {
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await follow(page.getByRole('button', { name: 'Sign in' }));
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    tenant = await makeTenant(t, 'polish-portal');
    browser = await launchChromium();
    page = await consoleSession(browser, t.baseUrl, pageErrors);
    context = page.context();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('copies a new API key’s secret, shown once, with its Copy button, and the copy signs the portal in', async () => {
    await page.goto(`/console/tenants/${tenant.key}`);
    await page.getByLabel('Label').fill('copied');
    await follow(page.getByRole('button', { name: 'Create API key' }));
    const secret = (await page.getByTestId('secret').innerText()).trim();
    const keyId = /API key (\S+) created/.exec(await page.getByRole('status').innerText())![1];
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await page.evaluate('navigator.clipboard.readText()');
    expect(copied).toBe(secret);
    await t.http
      .get('/api/v1/users')
      .set('Authorization', basic(keyId, String(copied)))
      .expect(200);
    // Shown once: the page again has no secret and no button.
    await page.reload();
    expect(await page.getByTestId('secret').count()).toBe(0);
  });

  it('sends a form sent after the session ended to sign in, then back to its page, having saved nothing', async () => {
    await page.goto(`/console/tenants/${tenant.key}`);
    await context.clearCookies();
    await page.getByLabel('Label').fill('after the session ended');
    await follow(page.getByRole('button', { name: 'Create API key' }));
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await page.getByTestId('session-ended').innerText()).toContain('nothing was saved');
    await signIn();
    expect(new URL(page.url()).pathname).toBe(`/console/tenants/${tenant.key}`);
    expect(await page.getByText('after the session ended').count()).toBe(0);

    // A search (a GET form) keeps what was typed: it is in the address to come back to.
    await page.goto('/console/users');
    await context.clearCookies();
    await page.getByLabel('Search').fill('ada@');
    await follow(page.getByRole('search').getByRole('button'));
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await page.getByTestId('session-ended').count()).toBe(0);
    await signIn();
    expect(new URL(page.url()).pathname).toBe('/console/users');
    expect(new URL(page.url()).searchParams.get('search')).toBe('ada@');
    expect(await page.getByLabel('Search').inputValue()).toBe('ada@');
  });

  it('shows what is wrong beside the field it is about, in words', async () => {
    await page.goto('/console/external-login');
    // The browser's own checks would stop the form first; the server must say it too.
    await page.evaluate(() => {
      for (const form of Array.from((globalThis as unknown as InPage).document.querySelectorAll('form'))) form.noValidate = true;
    });
    await page.getByLabel('URL').fill('https://127.0.0.1:9/login');
    await page.getByLabel('Timeout (ms)').fill('50');
    await follow(page.getByRole('button', { name: 'Create provider' }));
    expect(await page.getByTestId('error-name').innerText()).toBe('Name is required.');
    expect(await page.getByTestId('error-timeoutMs').innerText()).toBe('Timeout (ms): must not be less than 100');

    // The domain's refusal of the address, once the form itself is fine.
    await page.getByLabel('Name').fill('Partner');
    await page.getByLabel('Timeout (ms)').fill('5000');
    await follow(page.getByRole('button', { name: 'Create provider' }));
    expect(await page.getByTestId('error-url').innerText()).toMatch(/^URL: Refused to connect to 127\.0\.0\.1/);
    expect(await page.getByTestId('error-name').count()).toBe(0);
  });

  it('ran without script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
