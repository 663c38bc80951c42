import { CHROMIUM, chromiumPresent, LAUNCH_ARGS, follow } from '../support/browser';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { TOTP_PERIOD, totpCode } from '../../libs/auth/src/totp/totp';
import { startTestApp, type TestApp } from '../support/test-app';

const EMAIL = 'grace@harbour.example';
const PASSWORD = 'Lantern-Pelican-31-dock';
const ORG = 'Harbour Signals';

/** A new user's first day, in a real browser: sign up, sign out, sign in, authenticator, sign in with a code. */
describe('sign-up and sign-in in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let secret: string;
  let lastStep = 0;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true')
        throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests (apt-get install chromium)`);
      process.stderr.write(
        `\n  [skipped] sign-up and sign-in browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium to run them)\n\n`,
      );
      return;
    }
    t = await startTestApp('sqlite');
    await api('PUT', '/api/v1/settings/authentication', { signupEnabled: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs a new person up, explaining what is wrong with a common password first', async () => {
    if (!chromiumPresent) return;
    await page.goto('/signup');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Harbour');
    await page.getByLabel('Organization name').fill(ORG);
    await page.getByLabel('Password', { exact: true }).fill('password1');
    await page.getByLabel('Repeat the password').fill('password1');
    expect(await submit(page.getByRole('button', { name: 'Create account' }))).toBe(400);
    expect(await page.getByRole('alert').innerText()).toMatch(/one of the most common passwords/);
    // What was typed is still there, except the passwords.
    expect(await page.getByLabel('Email').inputValue()).toBe(EMAIL);
    expect(await page.getByLabel('Organization name').inputValue()).toBe(ORG);
    expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await shot('signup');

    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await submit(page.getByRole('button', { name: 'Create account' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByRole('status').innerText()).toContain(`Your organization ${ORG} is ready`);
    expect(await page.getByTestId('email').innerText()).toBe(EMAIL);
    expect(await page.locator('table').innerText()).toMatch(new RegExp(`${ORG}\\s+\\d+\\s+owner`));
    await shot('account');
  });

  it('signs out and back in', async () => {
    if (!chromiumPresent) return;
    await submit(page.getByRole('button', { name: 'Sign out' }));
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('status').innerText()).toContain('You are signed out.');
    await page.goto('/account');
    expect(new URL(page.url()).pathname).toBe('/login');

    await page.getByLabel('Email or username').fill(EMAIL);
    await page.getByLabel('Password').fill('not-my-password-1');
    expect(await submit(page.getByRole('button', { name: 'Sign in' }))).toBe(401);
    expect(await page.getByRole('alert').innerText()).toBe('The email, username or password is not right.');
    expect(await page.getByLabel('Email or username').inputValue()).toBe(EMAIL);
    await shot('login');

    await page.getByLabel('Password').fill(PASSWORD);
    await submit(page.getByRole('button', { name: 'Sign in' }));
    // Back where the person was going before the sign-in page.
    expect(new URL(page.url()).pathname).toBe('/account');
  });

  it('turns on the authenticator app by scanning (here: reading) the secret and entering a code', async () => {
    if (!chromiumPresent) return;
    await follow(page.getByRole('link', { name: 'Set up' }));
    expect(new URL(page.url()).pathname).toBe('/account/authenticator');
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor();
    // The QR image really decoded and has its size.
    expect(await qr.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth >= 200)).toBe(true);
    secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await shot('authenticator-setup');

    await page.getByLabel('Then enter the code the app shows').fill('000000');
    expect(await submit(page.getByRole('button', { name: 'Turn on' }))).toBe(400);
    expect(await page.getByRole('alert').innerText()).toMatch(/That code does not match/);
    // The same secret is offered again: the app already holds it.
    expect((await page.getByTestId('totp-secret').innerText()).replace(/\s+/g, '')).toBe(secret);

    await page.getByLabel('Then enter the code the app shows').fill(code());
    await submit(page.getByRole('button', { name: 'Turn on' }));
    // The recovery codes come first, once (account-security.browser.spec.ts uses them).
    expect(new URL(page.url()).pathname).toBe('/account/authenticator/recovery-codes');
    expect(await page.getByRole('status').innerText()).toContain('Your authenticator app is on.');
    await follow(page.getByRole('link', { name: 'I have saved them: continue' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.locator('.badge.ok').innerText()).toBe('on');
  });

  it('asks for a code at the next sign-in', async () => {
    if (!chromiumPresent) return;
    await submit(page.getByRole('button', { name: 'Sign out' }));
    await page.getByLabel('Email or username').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await submit(page.getByRole('button', { name: 'Sign in' }));
    expect(new URL(page.url()).pathname).toBe('/login/authenticator');
    await page.getByLabel('Code').fill('123456');
    expect(await submit(page.getByRole('button', { name: 'Continue' }))).toBe(401);
    expect(await page.getByRole('alert').innerText()).toMatch(/That code is not right/);
    await shot('authenticator-prompt');

    await page.getByLabel('Code').fill(code());
    await submit(page.getByRole('button', { name: 'Continue' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByTestId('email').innerText()).toBe(EMAIL);
  });

  it('removes the sign-up page once an admin turns sign-up off', async () => {
    if (!chromiumPresent) return;
    const open = await page.goto('/signup');
    expect(open?.status()).toBe(200);
    await api('PUT', '/api/v1/settings/authentication', { signupEnabled: false });
    const gone = await page.goto('/signup');
    expect(gone?.status()).toBe(404);
    expect(await page.locator('form input[name="organizationName"]').count()).toBe(0);
    await shot('signup-gone');
  });

  it('ran without script errors', () => {
    if (!chromiumPresent) return;
    expect(pageErrors).toEqual([]);
  });

  /** The code the phone shows now; a step not used before, without waiting for the clock. */
  function code(): string {
    const now = Math.floor(Date.now() / 1000 / TOTP_PERIOD);
    const step = Math.max(now, lastStep + 1);
    if (step > now + 1) throw new Error('both usable steps are spent');
    lastStep = step;
    return totpCode(secret, step * TOTP_PERIOD * 1000 + 1000);
  }

  async function api(method: string, path: string, body: unknown): Promise<void> {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { Authorization: t.admin, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  }

  /** Clicks a submit button; answers the status of the POST it sent (before any redirect). */
  async function submit(button: Locator): Promise<number> {
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
    await follow(button);
    return (await posted).status();
  }

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: `/tmp/auth-${name}.png`, fullPage: true });
  }
});
