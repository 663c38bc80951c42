import { readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserTests, CHROMIUM, LAUNCH_ARGS, follow } from '../support/browser';
import { makeUser } from '../support/factories';
import { Phone } from '../support/phone';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app';

const EMAIL = 'ines@harbour.example';
const PASSWORD = 'Lantern-Pelican-31-dock';

/**
 * A person's account security in a real browser: turn on the authenticator, save the recovery
 * codes (copy, download), sign out, lose the phone, sign in with a code; the sessions and password
 * pages. Each new page is photographed at 1280 and 390 px wide into /tmp.
 */
(browserTests('account security browser tests') ? describe : describe.skip)('account security in a real browser', () => {
  let t: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let phone: Phone;
  let codes: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp('sqlite', {}, { smtpUrl: smtp.url });
    await makeUser(t, t.admin, { email: EMAIL, password: PASSWORD, firstName: 'Ines', lastName: 'Harbour' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  it('turns the authenticator on and shows ten recovery codes once, to copy or download', async () => {
    await signIn();
    await follow(page.getByRole('link', { name: 'Set up' }));
    phone = new Phone((await page.getByTestId('totp-secret').innerText()).trim());
    await page.getByLabel('Then enter the code the app shows').fill(await phone.code());
    await follow(page.getByRole('button', { name: 'Turn on' }));
    expect(new URL(page.url()).pathname).toBe('/account/authenticator/recovery-codes');
    codes = (await page.getByTestId('recovery-codes').innerText()).trim().split(/\s+/);
    expect(codes).toHaveLength(10);
    await shots('recovery-codes');

    // Copy: the button appears once the script runs, and puts all ten on the clipboard.
    const copy = page.getByRole('button', { name: 'Copy' });
    await copy.click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied.split(/\s+/)).toEqual(codes);

    // Download: a .txt file with the same codes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as .txt' }).click()]);
    expect(download.suggestedFilename()).toBe('portico-recovery-codes.txt');
    const text = readFileSync((await download.path())!, 'utf8');
    for (const code of codes) expect(text).toContain(code);

    await follow(page.getByRole('link', { name: 'I have saved them: continue' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    // Shown once: going back to the page does not show them again.
    await page.goto('/account/authenticator/recovery-codes');
    expect(new URL(page.url()).pathname).toBe('/account/authenticator');
    expect(await page.getByTestId('recovery-remaining').innerText()).toContain('You have 10 unused recovery codes.');
    await shots('authenticator-on');
  });

  it('signs in with a recovery code after losing the phone, and mails the owner', async () => {
    await follow(page.getByRole('link', { name: 'Back to your account' }));
    await follow(page.getByRole('button', { name: 'Sign out' }));
    await signIn();
    expect(new URL(page.url()).pathname).toBe('/login/authenticator');
    await follow(page.getByRole('link', { name: 'Use a recovery code' }));
    await page.getByLabel('Recovery code').fill('zzzzz-zzzzz');
    await follow(page.getByRole('button', { name: 'Continue' }));
    expect(await page.getByRole('alert').innerText()).toMatch(/That recovery code is not right/);
    await shots('login-recovery-code');
    await page.getByLabel('Recovery code').fill(codes[0]);
    await follow(page.getByRole('button', { name: 'Continue' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByTestId('email').innerText()).toBe(EMAIL);
    const mail = await smtp.inbox.waitFor((m) => m.to === EMAIL && m.subject.includes('recovery code'));
    expect(mail.text).toContain('you have 9 left');
  });

  it('lists the sessions, this one marked, and signs the other out', async () => {
    // A second browser (another context: its own cookies) signs in too.
    const other = await browser.newContext({
      baseURL: t.baseUrl,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    });
    const otherPage = await other.newPage();
    await otherPage.goto('/login');
    await otherPage.getByLabel('Email or username').fill(EMAIL);
    await otherPage.getByLabel('Password').fill(PASSWORD);
    await Promise.all([otherPage.waitForEvent('load'), otherPage.getByRole('button', { name: 'Sign in' }).click()]);
    await otherPage.getByLabel('Code').fill(await phone.code());
    await Promise.all([otherPage.waitForEvent('load'), otherPage.getByRole('button', { name: 'Continue' }).click()]);
    expect(new URL(otherPage.url()).pathname).toBe('/account');

    await page.goto('/account');
    await follow(page.getByRole('link', { name: 'Where you are signed in' }));
    const rows = page.getByTestId('session');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().innerText()).toContain('this device');
    expect(await rows.nth(1).innerText()).toContain('Firefox on Windows');
    await shots('sessions');
    await follow(rows.nth(1).getByRole('button', { name: 'Sign out' }));
    expect(await page.getByRole('status').innerText()).toContain('That session is signed out.');
    expect(await page.getByTestId('session').count()).toBe(1);
    await otherPage.goto('/account');
    expect(new URL(otherPage.url()).pathname).toBe('/login');
    await other.close();
  });

  it('changes the password, saying what is wrong first', async () => {
    await page.goto('/account');
    await follow(page.getByRole('link', { name: 'Change password' }));
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('password1');
    await page.getByLabel('Repeat the new password').fill('password1');
    await follow(page.getByRole('button', { name: 'Change password' }));
    expect(await page.getByRole('alert').innerText()).toMatch(/New password is one of the most common passwords/);
    await shots('password');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('Harbour-Lights-77-quay');
    await page.getByLabel('Repeat the new password').fill('Harbour-Lights-77-quay');
    await follow(page.getByRole('button', { name: 'Change password' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(await page.getByRole('status').innerText()).toContain('Your password is changed.');
    expect(await page.getByRole('link', { name: 'Where you are signed in' }).count()).toBe(1);
    await shots('account');
  });

  it('shows the password policy and the admin requirement on the console settings page', async () => {
    const admin = await context.browser()!.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    const console = await admin.newPage();
    await console.goto('/console/login');
    await console.getByLabel('Email').fill(ADMIN_EMAIL);
    await console.getByLabel('Password').fill(ADMIN_PASSWORD);
    await Promise.all([console.waitForEvent('load'), console.getByRole('button', { name: 'Sign in' }).click()]);
    await console.goto('/console/settings/authentication');
    await console.getByLabel('Minimum password length').fill('12');
    await Promise.all([console.waitForEvent('load'), console.getByRole('button', { name: 'Save' }).click()]);
    expect(await console.getByLabel('Minimum password length').inputValue()).toBe('12');
    for (const width of [1280, 390]) {
      await console.setViewportSize({ width, height: 900 });
      await console.screenshot({ path: `/tmp/h2-console-settings-${width}.png`, fullPage: true });
    }
    await console.setViewportSize({ width: 1280, height: 900 });
    await console.goto('/console/users');
    const row = console.locator(`tr[data-email="${EMAIL}"]`);
    await Promise.all([console.waitForEvent('load'), row.getByRole('link', { name: EMAIL }).click()]);
    await Promise.all([console.waitForEvent('load'), console.getByRole('link', { name: 'Sign out everywhere…' }).click()]);
    expect(await console.getByRole('heading', { level: 1 }).innerText()).toBe(`Sign ${EMAIL} out everywhere?`);
    for (const width of [1280, 390]) {
      await console.setViewportSize({ width, height: 900 });
      await console.screenshot({ path: `/tmp/h2-console-sign-out-${width}.png`, fullPage: true });
    }
    await Promise.all([console.waitForEvent('load'), console.getByRole('button', { name: 'Sign out everywhere' }).click()]);
    expect(await console.getByText(`${EMAIL} is signed out everywhere.`).count()).toBe(1);
    await page.goto('/account');
    expect(new URL(page.url()).pathname).toBe('/login');
    await admin.close();
  });

  it('ran without script errors', () => {
    expect(pageErrors).toEqual([]);
  });

  async function signIn(): Promise<void> {
    await page.goto('/login');
    await page.getByLabel('Email or username').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await follow(page.getByRole('button', { name: 'Sign in' }));
  }

  /** The page at a desktop and a phone width, into /tmp (never into git). */
  async function shots(name: string): Promise<void> {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `/tmp/h2-${name}-${width}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});
