import { chromium, type Browser, type Page } from 'playwright-core';
import { browserTests, CHROMIUM, LAUNCH_ARGS, follow } from '../support/browser';
import { freePort } from '../support/ports';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app';

const SHOTS = '/tmp/h1-shots';

/** Without SMTP_URL: the console says mail is not delivered, and the Mailbox holds it, readable, links and all. */
(browserTests('Mailbox browser tests') ? describe : describe.skip)('the console Mailbox in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp('sqlite', { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows the banner, lists the mail, and reads it (the HTML part framed without script)', async () => {
    // An administrator who forgot the password: the reset mail goes to the Mailbox.
    await page.goto('/console/login');
    await follow(page.getByRole('link', { name: 'Forgot password?' }));
    await page.getByLabel('Email or username').fill(ADMIN_EMAIL);
    await follow(page.getByRole('button', { name: 'Mail me a link' }));

    await page.goto('/console/login');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await follow(page.getByRole('button', { name: 'Sign in' }));
    expect(await page.getByTestId('mail-banner').innerText()).toBe(
      'Mail is not being delivered: it is kept in the Mailbox until SMTP_URL is set.',
    );
    await follow(page.getByRole('link', { name: 'Mailbox', exact: true }).first());
    const row = page.getByTestId('mail-row').first();
    for (let i = 0; i < 50 && !(await row.count()); i++) {
      await page.waitForTimeout(100);
      await page.reload();
    }
    expect(await row.innerText()).toContain('Reset your password for Portico');
    await shots('mailbox');
    await follow(row.getByRole('link'));
    expect(await page.getByTestId('mail-to').innerText()).toBe(ADMIN_EMAIL);
    const frame = page.frameLocator('iframe.mail-html');
    expect(await frame.getByRole('link', { name: 'Choose a new password' }).count()).toBe(1);
    await shots('mail-message');
    // The framed HTML part on a phone, on its own (a full-page picture may leave a sandboxed frame blank).
    await page.setViewportSize({ width: 390, height: 844 });
    await frame.getByRole('link', { name: 'Choose a new password' }).waitFor();
    await page.locator('iframe.mail-html').screenshot({ path: `${SHOTS}/mail-message-html-390.png` });
    await page.setViewportSize({ width: 1280, height: 900 });

    // The link in the Mailbox works like one that arrived by mail.
    const link = /http:\/\/\S+\/password\/reset\?token=[\w-]+/.exec(await page.getByTestId('mail-text').innerText())![0];
    await page.goto(link);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Choose a new password');
    expect(pageErrors).toEqual([]);
  });

  async function shots(name: string): Promise<void> {
    await page.screenshot({ path: `${SHOTS}/${name}-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // Let the layout (and a framed mail) settle at the new width before the picture.
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  }
});
