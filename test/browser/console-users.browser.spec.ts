import type { Browser, Page } from 'playwright-core';
import { browserTests, consoleSession, follow, launchChromium, screenshots } from '../support/browser';
import { ADMIN_EMAIL, startTestApp, type TestApp } from '../support/test-app';

const EMAIL = 'grace@example.com';
const PASSWORD = 'Velvet-Otter-42-river';

/** An administrator at work on one user's page: profile, password reset, sessions, disabling, activity. */
(browserTests('console user page browser tests') ? describe : describe.skip)('console: the user page in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let admin: Page;
  let userId: string;
  const pageErrors: string[] = [];

  const flashText = async () => (await admin.getByRole('status').innerText()).trim();
  const status = async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/users/${userId}`, { headers: { Authorization: t.admin } });
    return ((await res.json()) as { status: string }).status;
  };

  const shots = (name: string) => screenshots(admin, `console-users-${name}`);

  /** The user signs in in a browser of their own; returns it to check whether it is still signed in. */
  async function userBrowser(): Promise<Page> {
    const page = await (await browser.newContext({ baseURL: t.baseUrl })).newPage();
    await page.goto('/login');
    await page.getByLabel('Email or username').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await follow(page.getByRole('button', { name: 'Sign in' }));
    expect(new URL(page.url()).pathname).toBe('/account');
    return page;
  }
  const signedIn = async (page: Page) => {
    await page.goto('/account');
    return new URL(page.url()).pathname === '/account';
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const created = await fetch(`${t.baseUrl}/api/v1/users`, {
      method: 'POST',
      headers: { Authorization: t.admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, firstName: 'Grace', lastName: 'Brewster', password: PASSWORD }),
    });
    userId = ((await created.json()) as { id: string }).id;
    browser = await launchChromium();
    admin = await consoleSession(browser, t.baseUrl, pageErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('opens a user from the list and edits their name', async () => {
    await admin.goto('/console/users');
    await follow(admin.locator(`tr[data-email="${EMAIL}"]`).getByRole('link', { name: EMAIL }));
    expect(new URL(admin.url()).pathname).toBe(`/console/users/${userId}`);
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toContain('Grace Brewster');
    await admin.getByLabel('Last name').fill('Hopper');
    await follow(admin.getByRole('button', { name: 'Save profile' }));
    expect(await flashText()).toBe('Saved: last name.');
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toContain('Grace Hopper');

    // A taken address is said under the field, and what was typed stays.
    await admin.getByLabel('Email', { exact: true }).fill(ADMIN_EMAIL);
    await follow(admin.getByRole('button', { name: 'Save profile' }));
    expect(await admin.getByTestId('error-email').innerText()).toBe('A user with this email already exists among users without a tenant');
    expect(await admin.getByLabel('Email', { exact: true }).inputValue()).toBe(ADMIN_EMAIL);
    await shots('user-email-taken');
  });

  it('sends a password reset that appears in the Mailbox', async () => {
    await admin.goto(`/console/users/${userId}`);
    await follow(admin.getByRole('button', { name: 'Send password reset mail' }));
    expect(await flashText()).toBe(`A password reset link was mailed to ${EMAIL}. It works once, for 30 minutes.`);
    await admin.goto('/console/mail');
    const mail = admin.getByTestId('mail-row').filter({ hasText: EMAIL });
    expect(await mail.count()).toBe(1);
    expect(await mail.innerText()).toContain('password-reset');
  });

  it('ends one session of the user', async () => {
    const laptop = await userBrowser();
    const phone = await userBrowser();
    await admin.goto(`/console/users/${userId}`);
    const sessions = admin.getByTestId('user-session');
    expect(await sessions.count()).toBe(2);
    expect(await sessions.first().innerText()).toMatch(/127\.0\.0\.1\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    await shots('user-page');
    await follow(sessions.first().getByRole('button', { name: 'End session' }));
    expect(await flashText()).toBe(`That session of ${EMAIL} has ended.`);
    expect(await admin.getByTestId('user-session').count()).toBe(1);
    expect([await signedIn(laptop), await signedIn(phone)].sort()).toEqual([false, true]);
  });

  it('asks before disabling: the first click changes nothing', async () => {
    const laptop = await userBrowser();
    await admin.goto(`/console/users/${userId}`);
    await follow(admin.getByRole('link', { name: 'Disable account…' }));
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe(`Disable ${EMAIL}?`);
    await shots('user-disable-confirm');
    expect(await status()).toBe('active');
    expect(await signedIn(laptop)).toBe(true);

    await follow(admin.getByRole('link', { name: 'Cancel' }));
    expect(new URL(admin.url()).pathname).toBe(`/console/users/${userId}`);
    await follow(admin.getByRole('link', { name: 'Disable account…' }));
    await follow(admin.getByRole('button', { name: 'Disable account' }));
    expect(await flashText()).toBe(`${EMAIL} is disabled and signed out everywhere.`);
    expect(await admin.getByTestId('user-status').innerText()).toBe('disabled');
    expect(await status()).toBe('disabled');
    expect(await signedIn(laptop)).toBe(false);
  });

  it('shows what happened to the user in its recent activity', async () => {
    await admin.goto(`/console/users/${userId}`);
    const events = admin.getByTestId('user-event');
    const actions = await events.locator('td.mono').allInnerTexts();
    // Disabling: the status change and the end of every session, newest first.
    expect(actions.slice(0, 2).sort()).toEqual(['user.sessions.ended', 'user.updated']);
    expect(await events.first().innerText()).toContain(ADMIN_EMAIL);
    expect(actions).toContain('user.password_reset_requested');
    await shots('user-activity');
    expect(pageErrors).toEqual([]);
  });
});
