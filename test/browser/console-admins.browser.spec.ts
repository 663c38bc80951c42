import type { Browser, Page } from 'playwright-core';
import { browserTests, consoleSession, consoleSignIn, follow, launchChromium, screenshots, submit } from '../support/browser';
import { Phone } from '../support/phone';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app';

const SECOND = 'grace@portico.test';
const NEW_PASSWORD = 'a new password for the first admin';

/**
 * A platform administrator's own corner of the console, in Chromium: another administrator made and
 * signing in, an API token used from outside the browser and revoked after a confirmation, their own
 * password and authenticator app. Pages are screenshot at 1280 and 390 px (/tmp/console-admins-*.png).
 */
(browserTests('console administrators browser tests') ? describe : describe.skip)('console administrators in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const shots = (name: string) => screenshots(page, `console-admins-${name}`);

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    browser = await launchChromium();
    page = await consoleSession(browser, t.baseUrl, pageErrors);
    expect(new URL(page.url()).pathname).toBe('/console');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('creates a second administrator with a password shown once, who then signs in; a reload makes no second one', async () => {
    await follow(page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Administrators' }));
    await page.getByLabel('Email').fill(SECOND);
    await page.getByLabel('First name').fill('Grace');
    expect(await submit(page.getByRole('button', { name: 'Create administrator' }))).toBe(303);
    const flash = page.getByRole('status');
    await flash.getByText(`${SECOND} is a platform administrator now`).waitFor();
    const password = (await page.getByTestId('secret').innerText()).trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await flash.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    await shots('administrators');

    await page.reload();
    expect(await page.getByTestId('admin-row').count()).toBe(2);
    expect(await page.getByTestId('secret').count()).toBe(0);

    const other = await browser.newContext({ baseURL: t.baseUrl });
    try {
      const theirs = await other.newPage();
      await consoleSignIn(theirs, SECOND, password);
      expect(new URL(theirs.url()).pathname).toBe('/console');
      expect(await theirs.locator('.topbar .who').innerText()).toBe(SECOND);
      await theirs.goto('/console/administrators');
      await theirs.getByTestId('admin-row').filter({ hasText: SECOND }).getByText('you').waitFor();
    } finally {
      await other.close();
    }
  });

  it('asks before disabling an administrator: the first click changes nothing', async () => {
    await page.goto('/console/administrators');
    const row = page.getByTestId('admin-row').filter({ hasText: SECOND });
    await follow(row.getByRole('link', { name: 'Disable…' }));
    await page.getByRole('heading', { name: `Disable administrator ${SECOND}?` }).waitFor();
    await shots('administrator-disable');
    await follow(page.getByRole('link', { name: 'Cancel' }));
    expect(await row.locator('.badge.ok').innerText()).toBe('active');
    await follow(row.getByRole('link', { name: 'Disable…' }));
    expect(await submit(page.getByRole('button', { name: 'Disable administrator' }))).toBe(303);
    expect(await row.locator('.badge.warn').innerText()).toBe('disabled');
    expect(await submit(row.getByRole('button', { name: 'Enable' }))).toBe(303);
    expect(await row.locator('.badge.ok').innerText()).toBe('active');
  });

  it('makes an API token that works as Bearer from outside the browser, and revokes it only after asking', async () => {
    await page.goto('/console/administrators');
    await follow(page.getByRole('link', { name: 'API tokens' }));
    await page.getByLabel('Name').fill('deploy script');
    expect(await submit(page.getByRole('button', { name: 'Create token' }))).toBe(303);
    const token = (await page.getByTestId('secret').innerText()).trim();
    expect(token).toMatch(/^portico_/);
    await shots('api-tokens');
    const call = async () => (await fetch(`${t.baseUrl}/api/v1/tenants`, { headers: { Authorization: `Bearer ${token}` } })).status;
    expect(await call()).toBe(200);

    // Reloading the page the POST led to shows the list again: no second token, no secret.
    await page.reload();
    expect(await page.getByTestId('token-row').filter({ hasText: 'deploy script' }).count()).toBe(1);
    expect(await page.getByTestId('secret').count()).toBe(0);
    const row = page.getByTestId('token-row').filter({ hasText: 'deploy script' });
    expect(await row.locator('td').nth(2).innerText()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);

    await follow(row.getByRole('link', { name: 'Revoke…' }));
    await page.getByRole('heading', { name: 'Revoke the API token “deploy script”?' }).waitFor();
    await shots('api-token-revoke');
    expect(await call()).toBe(200);
    expect(await submit(page.getByRole('button', { name: 'Revoke token' }))).toBe(303);
    await page.getByRole('status').getByText('API token “deploy script” revoked').waitFor();
    expect(await call()).toBe(401);
  });

  it('changes your own password and turns your own authenticator app on and off from Your account', async () => {
    await page.goto('/console');
    await follow(page.locator('.topbar .who'));
    expect(new URL(page.url()).pathname).toBe('/console/me');
    const form = page.getByTestId('password-form');
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    expect(await submit(form.getByRole('button', { name: 'Change password' }))).toBe(401);
    expect(await page.getByRole('alert').innerText()).toBe('Your current password is not right.');
    await form.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await form.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    expect(await submit(form.getByRole('button', { name: 'Change password' }))).toBe(303);
    await page.getByRole('status').getByText('Your password is changed.').waitFor();
    await shots('me');

    const phone = new Phone((await page.getByTestId('totp-secret').innerText()).trim());
    await page.getByLabel('Then enter the code the app shows').fill(await phone.code());
    expect(await submit(page.getByRole('button', { name: 'Turn on' }))).toBe(303);
    expect(await page.getByTestId('recovery-codes').innerText()).toMatch(/\S+(\s+\S+){9}/);
    await follow(page.getByTestId('codes-saved'));
    expect(new URL(page.url()).pathname).toBe('/console/me');
    await page.getByText('Each sign-in asks for a code from the app.').waitFor();

    // Signing in again takes the new password and a code.
    await follow(page.getByRole('button', { name: 'Sign out' }));
    await consoleSignIn(page, ADMIN_EMAIL, NEW_PASSWORD);
    await page.getByLabel('Code', { exact: true }).fill(await phone.code());
    await follow(page.getByRole('button', { name: 'Continue' }));
    expect(new URL(page.url()).pathname).toBe('/console');

    await page.goto('/console/me');
    await page.getByLabel('Current code from the app').fill(await phone.code());
    expect(await submit(page.getByRole('button', { name: 'Turn off the authenticator' }))).toBe(303);
    await page.getByRole('status').getByText('Your authenticator app is off.').waitFor();
    await page.getByTestId('totp-secret').waitFor();
  });
});
