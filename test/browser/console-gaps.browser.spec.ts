import type { Browser, Page } from 'playwright-core';
import { browserTests, consoleSession, launchChromium, screenshots, submit } from '../support/browser';
import { startTestApp, type TestApp } from '../support/test-app';

const SETTINGS = '/console/settings/authentication';
const METHOD_BOXES = ['password', 'saml', 'ldap', 'external', 'oidc'].map((m) => `input[name="${m}"]`).join(', ');

const run = browserTests('console gaps browser tests') ? describe : describe.skip;

run('console: field errors announced, warnings that are not errors, in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let admin: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    browser = await launchChromium();
    admin = await consoleSession(browser, t.baseUrl, problems);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => expect(problems).toEqual([]));

  it('links a refused field to its error, as a screen reader announces it', async () => {
    await admin.goto(SETTINGS);
    const idle = admin.getByRole('spinbutton', { name: 'Idle timeout (minutes)' });
    expect(await idle.getAttribute('aria-invalid')).toBeNull();
    // The browser's own range check would stop the form; the server's answer is what is tested.
    await admin.locator(`form[action="${SETTINGS}"]`).evaluate((form) => form.setAttribute('novalidate', ''));
    await idle.fill('2');
    expect(await submit(admin.getByRole('button', { name: 'Save' }))).toBe(400);
    const refused = admin.getByRole('spinbutton', { name: 'Idle timeout (minutes)' });
    expect(await refused.getAttribute('aria-invalid')).toBe('true');
    // What assistive technology reads after the label: the error beside the field, in words.
    const describedBy = (await refused.getAttribute('aria-describedby')) ?? '';
    const description = (await Promise.all(describedBy.split(' ').map((id) => admin.locator(`[id="${id}"]`).innerText()))).join(' ');
    expect(description).toMatch(/Idle timeout \(minutes\): must not be less than 5/);
    // A field without an error stays unmarked.
    expect(await admin.getByRole('spinbutton', { name: 'Wrong passwords before lockout' }).getAttribute('aria-invalid')).toBeNull();
    await screenshots(admin, 'w2-field-error');
  });

  it('saves every sign-in method off with a yellow warning announced as an alert', async () => {
    await admin.goto(SETTINGS);
    for (const box of await admin.locator(METHOD_BOXES).all()) await box.uncheck();
    expect(await submit(admin.getByRole('button', { name: 'Save' }))).toBe(303);
    const warning = admin.getByRole('alert');
    expect(await warning.innerText()).toMatch(/^Saved, but every sign-in method is off/);
    expect(await warning.getAttribute('class')).toBe('flash warning');
    // Yellow, not the red of an error.
    expect(await admin.evaluate("getComputedStyle(document.querySelector('.flash.warning')).backgroundColor")).toBe('rgb(255, 250, 235)');
    await screenshots(admin, 'w2-warning');
    await admin.locator('input[name="password"]').check();
    expect(await submit(admin.getByRole('button', { name: 'Save' }))).toBe(303);
  });
});
