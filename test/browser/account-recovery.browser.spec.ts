import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { browserTests, CHROMIUM, LAUNCH_ARGS, follow } from '../support/browser';
import { freePort } from '../support/ports';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { startTestApp, type TestApp } from '../support/test-app';

const EMAIL = 'ines@quay.example';
const PASSWORD = 'Marram-Beacon-58-tide';
const NEW_PASSWORD = 'Shingle-Orrery-14-gale';
const SHOTS = '/tmp/h1-shots';

/**
 * A person at a real browser with a real mailbox: sign up, confirm the address from the link in the
 * mail that arrived, sign in; later forget the password, reset it from the mail, sign in again.
 */
(browserTests('account recovery browser tests') ? describe : describe.skip)(
  'email verification and password reset in a real browser',
  () => {
    let t: TestApp;
    let smtp: TestSmtp;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      smtp = await startSmtp();
      // The mail's links must point at this very server: PUBLIC_URL is its address.
      const port = await freePort();
      t = await startTestApp('sqlite', { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }, { smtpUrl: smtp.url });
      await api('PUT', '/api/v1/settings/authentication', { signupEnabled: true, emailVerification: 'required' });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
      const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
    });

    afterAll(async () => {
      await browser?.close();
      await t?.close();
      await smtp?.close();
    });

    it('signs up, follows the link from the mail, and signs in', async () => {
      await page.goto('/login');
      await follow(page.getByRole('link', { name: 'Create an account' }));
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('First name').fill('Ines');
      await page.getByLabel('Last name').fill('Quay');
      await page.getByLabel('Organization name').fill('Quay Lights');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByLabel('Repeat the password').fill(PASSWORD);
      expect(await submit(page.getByRole('button', { name: 'Create account' }))).toBe(200);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Check your inbox');
      await shots('check-mail');

      // Signing in before the address is confirmed says so, and offers the mail again.
      await page.goto('/login');
      await page.getByLabel('Email or username').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      expect(await submit(page.getByRole('button', { name: 'Sign in' }))).toBe(403);
      expect(await page.getByRole('alert').innerText()).toContain('Confirm your email address first');
      await shots('login-unverified');
      expect(await submit(page.getByRole('button', { name: 'Resend the verification mail' }))).toBe(200);

      const mails = await waitForMails(EMAIL, 2);
      const link = mails[1].links.find((l) => l.includes('/email/verify'))!;
      expect(new URL(link).origin).toBe(t.baseUrl);
      await page.goto(link);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Your address is confirmed');
      await shots('email-verified');
      // The first mail's link was replaced by the second one.
      await page.goto(mails[0].links.find((l) => l.includes('/email/verify'))!);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('This confirmation link does not work');
      await shots('link-problem');

      await page.goto('/login');
      await page.getByLabel('Email or username').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await submit(page.getByRole('button', { name: 'Sign in' }));
      expect(new URL(page.url()).pathname).toBe('/account');
      await follow(page.getByRole('button', { name: /sign out/i }));
    });

    it('forgets the password, resets it from the mail, and signs in with the new one', async () => {
      await page.goto('/login');
      await follow(page.getByRole('link', { name: 'Forgot password?' }));
      await shots('forgot');
      await page.getByLabel('Email or username').fill(EMAIL);
      expect(await submit(page.getByRole('button', { name: 'Mail me a link' }))).toBe(200);
      expect(await page.getByRole('status').innerText()).toContain('a mail is on its way');
      await shots('forgot-sent');

      const mail = await smtp.inbox.waitFor((m) => m.to === EMAIL && m.subject.startsWith('Reset your password'));
      await page.goto(mail.links.find((l) => l.includes('/password/reset'))!);
      await shots('reset');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password').fill('not the same');
      expect(await submit(page.getByRole('button', { name: 'Set the new password' }))).toBe(400);
      expect(await page.getByRole('alert').innerText()).toContain('do not match');
      await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
      expect(await submit(page.getByRole('button', { name: 'Set the new password' }))).toBe(200);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Your password is changed');
      await shots('reset-done');

      await follow(page.getByRole('link', { name: 'Sign in' }));
      await page.getByLabel('Email or username').fill(EMAIL);
      await page.getByLabel('Password').fill(NEW_PASSWORD);
      await submit(page.getByRole('button', { name: 'Sign in' }));
      expect(new URL(page.url()).pathname).toBe('/account');
      expect(pageErrors).toEqual([]);
    });

    async function api(method: string, path: string, body: unknown): Promise<void> {
      const res = await fetch(`${t.baseUrl}${path}`, {
        method,
        headers: { Authorization: t.admin, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    }

    async function waitForMails(to: string, count: number) {
      for (let i = 0; i < 200 && smtp.inbox.find(to).length < count; i++) await new Promise((r) => setTimeout(r, 50));
      const found = smtp.inbox.find(to);
      expect(found).toHaveLength(count);
      return found;
    }

    /** Clicks a submit button; answers the status of the POST it sent (before any redirect). */
    async function submit(button: Locator): Promise<number> {
      const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
      await follow(button);
      return (await posted).status();
    }

    /** The page at 1280 px and at 390 px (a phone), kept out of git. */
    async function shots(name: string): Promise<void> {
      await page.screenshot({ path: `${SHOTS}/${name}-1280.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      // Let the layout (and a framed mail) settle at the new width before the picture.
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  },
);
