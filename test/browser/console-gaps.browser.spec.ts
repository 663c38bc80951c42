import type { Browser, Page } from 'playwright-core';
import { browserTests, consoleSession, follow, launchChromium, screenshots, submit } from '../support/browser';
import { makeTenant, makeUser } from '../support/factories';
import { startTestApp, type TestApp } from '../support/test-app';

const SETTINGS = '/console/settings/authentication';
const PASSWORD = 'Velvet-Otter-42-river';
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

  it("asks before turning a tenant's directory off, and the first save changes nothing", async () => {
    const tenant = await makeTenant(t, 'initech');
    const created = await t.http
      .post('/api/v1/ldap-directories')
      .set('Authorization', t.admin)
      .send({
        tenantKey: tenant.key,
        name: 'Initech AD',
        url: 'ldaps://ldap.initech.example',
        bindDn: 'cn=svc,dc=initech',
        bindPassword: 'svc-Secret-1',
        searchBase: 'dc=initech',
      })
      .expect(201);
    const enabled = async () =>
      (await t.http.get(`/api/v1/ldap-directories/${created.body.id}`).set('Authorization', t.admin).expect(200)).body.enabled;
    const page = `/console/tenants/${tenant.key}/ldap/${created.body.id}`;
    const enabledBox = () => admin.locator('label', { hasText: 'Enabled: this tenant’s users can sign in' }).locator('input');
    await admin.goto(page);
    await enabledBox().uncheck();
    await admin.getByLabel('Timeout (ms)').fill('6000');
    expect(await submit(admin.getByRole('button', { name: 'Save', exact: true }))).toBe(200);
    expect(await admin.getByRole('heading', { level: 1 }).innerText()).toBe('Turn off directory “Initech AD”?');
    expect(await admin.locator('.confirm p').first().innerText()).toMatch(/^From the next request on, nobody can sign in through it/);
    expect(await enabled()).toBe(true);
    await screenshots(admin, 'w2-turn-off');
    await follow(admin.getByRole('link', { name: 'Cancel' }));
    expect(await enabledBox().isChecked()).toBe(true);
    expect(await enabled()).toBe(true);

    await enabledBox().uncheck();
    await admin.getByLabel('Timeout (ms)').fill('6000');
    await submit(admin.getByRole('button', { name: 'Save', exact: true }));
    expect(await submit(admin.getByRole('button', { name: 'Turn off directory' }))).toBe(303);
    expect(await admin.locator('.flash').innerText()).toContain('Directory “Initech AD” saved.');
    expect(await enabledBox().isChecked()).toBe(false);
    expect(await admin.getByLabel('Timeout (ms)').inputValue()).toBe('6000');
    expect(await enabled()).toBe(false);
  });

  it("opens the audit log from a user's page with everything involving them, and clears that filter", async () => {
    const tenant = await makeTenant(t, 'umbrella');
    const user = await makeUser(t, tenant.auth, { email: 'alice@umbrella.example', firstName: 'Alice', lastName: 'Abernathy' });
    await makeUser(t, tenant.auth, { email: 'bob@umbrella.example', firstName: 'Bob', lastName: 'Other' });
    await admin.goto(`/console/users/${user.id}`);
    await follow(admin.getByRole('link', { name: /Everything they did or that was done to them/ }));
    expect(await admin.getByTestId('user-filter').innerText()).toMatch(
      /^Events involving alice@umbrella\.example: what they did and what was done/,
    );
    const targets = await admin.getByTestId('audit-row').allInnerTexts();
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.join('\n')).toContain('alice@umbrella.example');
    expect(targets.join('\n')).not.toContain('bob@umbrella.example');
    await screenshots(admin, 'w2-audit-user');
    await follow(admin.getByRole('link', { name: "Show every user's events" }));
    expect(await admin.getByTestId('user-filter').count()).toBe(0);
    expect((await admin.getByTestId('audit-row').allInnerTexts()).join('\n')).toContain('bob@umbrella.example');
  });

  it("sends an account form sent after the session ended to the tenant's own sign-in page, then back, having saved nothing", async () => {
    const tenant = await makeTenant(t, 'hooli');
    await makeUser(t, tenant.auth, { email: 'gavin@hooli.example', firstName: 'Gavin', lastName: 'Belson', password: PASSWORD });
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    const person = await context.newPage();
    const signIn = async () => {
      await person.getByLabel('Email or username').fill('gavin@hooli.example');
      await person.getByLabel('Password').fill(PASSWORD);
      await follow(person.getByRole('button', { name: 'Sign in' }));
    };
    try {
      await person.goto(`/t/${tenant.key}/login`);
      await signIn();
      await person.goto('/account/password');
      // The session ends (idle timeout, sign-out elsewhere); the page stays open.
      await context.clearCookies({ name: 'portico.sid' });
      await person.getByLabel('Current password').fill(PASSWORD);
      await person.getByLabel('New password', { exact: true }).fill('Another-Secret-Phrase-77');
      await person.getByLabel('Repeat the new password').fill('Another-Secret-Phrase-77');
      await follow(person.getByRole('button', { name: 'Change password' }));
      expect(new URL(person.url()).pathname).toBe(`/t/${tenant.key}/login`);
      expect(await person.getByRole('heading', { level: 1 }).innerText()).toBe(`Sign in to Tenant ${tenant.key}`);
      expect(await person.getByTestId('session-ended').innerText()).toContain('nothing was saved');
      await screenshots(person, 'w2-account-expired');
      // The old password still works: nothing was saved.
      await signIn();
      expect(new URL(person.url()).pathname).toBe('/account/password');

      // A cookie naming no tenant key (here, another site) is ignored: Portico's own sign-in page.
      await context.clearCookies();
      await context.addCookies([{ name: 'portico.signin', value: 'evil.example%2F', url: t.baseUrl }]);
      await person.goto('/account');
      expect(new URL(person.url()).pathname).toBe('/login');
    } finally {
      await context.close();
    }
  });

  it("links a tenant's user to a portal id by choosing the user by email, not by id", async () => {
    const tenant = await makeTenant(t, 'pied-piper');
    await makeUser(t, tenant.auth, { email: 'richard@piedpiper.example', firstName: 'Richard', lastName: 'Hendricks' });
    await admin.goto(`/console/tenants/${tenant.key}/identity-links`);
    const form = admin.locator('form', { has: admin.getByRole('button', { name: 'Add link' }) });
    await form.getByLabel('Provider').fill('crm');
    await form.getByLabel('Type').selectOption('user');
    await form.getByLabel('User or organization').fill('richard@piedpiper.example');
    await form.getByLabel('Foreign id').fill('CRM-42');
    expect(await submit(form.getByRole('button', { name: 'Add link' }))).toBe(303);
    expect(await admin.getByRole('status').innerText()).toBe('Linked crm id “CRM-42” to the user.');
    expect(await admin.getByTestId('identity-link-row').innerText()).toMatch(/crm\s+user\s+CRM-42\s+richard@piedpiper\.example/);
    await screenshots(admin, 'w2-identity-links');
  });
});
