import { CHROMIUM, chromiumPresent, LAUNCH_ARGS, follow } from '../support/browser';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, basic, startTestApp, type TestApp } from '../support/test-app';

const TENANT = 'acme-portal';
const ORG = 'Acme Corp';
const USER_EMAIL = 'ada@acme.example';
const XSS_TENANT = 'xss-check';
const XSS = '<script>alert(1)</script>';

describe('admin console in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true')
        throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests (apt-get install chromium)`);
      process.stderr.write(`\n  [skipped] console browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium to run them)\n\n`);
      return;
    }
    t = await startTestApp('sqlite');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('console', (m) => {
      // Error statuses the tests provoke on purpose (403, 409, 400) are logged as failed loads.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs an admin in at /console/login', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/tenants');
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill('not the password');
    expect(await submit(page, page.getByRole('button', { name: 'Sign in' }))).toBe(401);
    await page.getByRole('alert').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await submit(page, page.getByRole('button', { name: 'Sign in' }));
    // Back where the admin was sent from, signed in.
    expect(new URL(page.url()).pathname).toBe('/console/tenants');
    expect(await page.locator('.topbar .who').textContent()).toBe(ADMIN_EMAIL);
    await shot(page, 'login-done');
  });

  it('creates a tenant and an API key whose secret is shown once and works against the API', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/tenants');
    await page.getByLabel('Key').fill(TENANT);
    await page.getByLabel('Name').fill('Acme Portal');
    expect(await submit(page, page.getByRole('button', { name: 'Create tenant' }))).toBe(303);
    expect(new URL(page.url()).pathname).toBe(`/console/tenants/${TENANT}`);
    await page.getByRole('heading', { name: 'Acme Portal' }).waitFor();
    await page.getByRole('status').getByText('Tenant “Acme Portal” (acme-portal) created').waitFor();

    // The same key again: the page says why, with a 409, and keeps what was typed.
    await page.goto('/console/tenants');
    await page.getByLabel('Key').fill(TENANT);
    await page.getByLabel('Name').fill('Second try');
    expect(await submit(page, page.getByRole('button', { name: 'Create tenant' }))).toBe(409);
    expect(await page.getByTestId('form-errors').textContent()).toContain('A tenant with key "acme-portal" already exists');
    expect(await page.getByLabel('Name').inputValue()).toBe('Second try');
    await shot(page, 'tenants-conflict');

    await page.goto(`/console/tenants/${TENANT}`);
    await page.getByLabel('Label').fill('production portal');
    await submit(page, page.getByRole('button', { name: 'Create API key' }));
    const secret = (await page.getByTestId('secret').textContent())!.trim();
    const keyId = (await page.getByTestId('api-key-row').first().locator('td').first().textContent())!.trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(keyId).toMatch(/^tk_/);
    expect(await page.getByTestId('api-key-row').first().textContent()).toContain('production portal');
    await shot(page, 'tenant-detail-secret');

    const res = await fetch(`${t.baseUrl}/api/v1/users`, { headers: { Authorization: basic(keyId, secret) } });
    expect(res.status).toBe(200);

    // Shown once: after a reload the secret is gone from the page.
    await page.reload();
    expect(await page.getByTestId('secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await shot(page, 'tenant-detail');
    await shot(page, 'tenants-list', '/console/tenants');
  });

  it('creates an organization with a plan and shows its site ID', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/organizations');
    await page.getByLabel('Name', { exact: true }).fill(ORG);
    await page.locator('form[method=post] input[name=tenantKey]').fill(TENANT);
    await page.locator('form[method=post] input[name=externalUid]').fill('grp-42');
    await page.getByLabel('Monthly price').fill('49.5');
    await page.getByLabel('Currency').fill('eur');
    await submit(page, page.getByRole('button', { name: 'Create organization' }));
    const flash = await page.getByRole('status').textContent();
    expect(flash).toMatch(/Organization “Acme Corp” created with site ID \d+/);
    const row = page.getByTestId('org-row').filter({ hasText: ORG });
    expect(await row.textContent()).toContain(TENANT);
    expect(await row.textContent()).toContain('€49.50 / month');

    const api = await getJson<{ items: { id: string; siteId: number }[] }>(`/api/v1/organizations?tenantKey=${TENANT}`);
    expect(api.items).toHaveLength(1);
    expect(api.items[0]).toMatchObject({ name: ORG, externalUid: 'grp-42', plan: { priceCents: 4950, currency: 'EUR' } });
    expect(flash).toContain(`site ID ${api.items[0].siteId}`);

    // A price the form cannot read is a 400 with a message, never a 500.
    await page.getByLabel('Name', { exact: true }).fill('Priceless');
    await page.getByLabel('Monthly price').fill('lots');
    await page.getByLabel('Currency').fill('EUR');
    expect(await submit(page, page.getByRole('button', { name: 'Create organization' }))).toBe(400);
    expect(await page.getByTestId('form-errors').textContent()).toContain('Monthly price must be an amount such as 49.00');
    await shot(page, 'organizations-error');

    await page.goto('/console/organizations');
    await follow(row.getByRole('link', { name: ORG }));
    expect(await page.getByTestId('site-id').textContent()).toBe(String(api.items[0].siteId));
    expect(await page.getByLabel('Monthly price').inputValue()).toBe('49.50');
    await page.getByLabel('Name', { exact: true }).fill('Acme Corporation');
    await submit(page, page.getByRole('button', { name: 'Save' }));
    await page.getByRole('heading', { name: 'Acme Corporation' }).waitFor();
    expect((await getJson<{ name: string }>(`/api/v1/organizations/${api.items[0].id}`)).name).toBe('Acme Corporation');
    await shot(page, 'organization-edit');
    await shot(page, 'organizations-list', '/console/organizations');
  });

  it('creates a user and toggles billable, with htmx and without JavaScript', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/users');
    await page.getByLabel('Email').fill(USER_EMAIL);
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Password').fill('analytical engine');
    await page.locator('form[method=post] input[name=tenantKey]').fill(TENANT);
    await submit(page, page.getByRole('button', { name: 'Create user' }));
    await page.getByRole('status').getByText(`User ${USER_EMAIL} created in tenant ${TENANT}.`).waitFor();
    const row = () => page.locator(`tr[data-email="${USER_EMAIL}"]`);
    expect(await row().textContent()).toContain('Ada Lovelace');
    expect(await row().getByRole('button', { name: 'Not billable' }).getAttribute('aria-pressed')).toBe('false');
    expect((await findUser(USER_EMAIL)).billable).toBe(false);

    // With JavaScript: htmx posts the small form and swaps the row in place.
    const sent = page.waitForRequest((r) => r.url().endsWith('/billable'));
    await row().getByRole('button', { name: 'Not billable' }).click();
    const request = await sent;
    expect(request.resourceType()).not.toBe('document');
    expect(request.headers()['hx-request']).toBe('true');
    await row().locator('button.switch[aria-pressed="true"]').waitFor();
    expect(await row().getByRole('button', { name: 'Billable' }).textContent()).toBe('Billable');
    expect((await findUser(USER_EMAIL)).billable).toBe(true);
    await shot(page, 'users-list');

    // Without JavaScript the same form posts and redirects back to the list.
    const noJs = await browser.newContext({ baseURL: t.baseUrl, javaScriptEnabled: false, storageState: await context.storageState() });
    const plain = await noJs.newPage();
    await plain.goto(`/console/users?search=${encodeURIComponent('lovelace')}`);
    await follow(plain.locator(`tr[data-email="${USER_EMAIL}"]`).getByRole('button', { name: 'Billable' }));
    expect(new URL(plain.url()).search).toBe('?search=lovelace');
    await plain.getByRole('status').getByText(`${USER_EMAIL} is no longer billable.`).waitFor();
    expect(await plain.locator(`tr[data-email="${USER_EMAIL}"] button.switch`).getAttribute('aria-pressed')).toBe('false');
    expect((await findUser(USER_EMAIL)).billable).toBe(false);
    await noJs.close();

    // An email that is taken in this tenant: a 409 and the reason on the page.
    await page.goto('/console/users');
    await page.getByLabel('Email').fill(USER_EMAIL.toUpperCase());
    await page.locator('form[method=post] input[name=tenantKey]').fill(TENANT);
    expect(await submit(page, page.getByRole('button', { name: 'Create user' }))).toBe(409);
    expect(await page.getByTestId('form-errors').textContent()).toContain('already exists in this tenant');
    await shot(page, 'users-conflict');
  });

  it('suspends and reactivates a tenant and revokes its key, which the API then refuses', async () => {
    if (!chromiumPresent) return;
    await page.goto(`/console/tenants/${TENANT}`);
    await submit(page, page.getByRole('button', { name: 'Create API key' }));
    const secret = (await page.getByTestId('secret').textContent())!.trim();
    const keyId = (await page.getByTestId('api-key-row').first().locator('td').first().textContent())!.trim();
    const call = async () => (await fetch(`${t.baseUrl}/api/v1/users`, { headers: { Authorization: basic(keyId, secret) } })).status;
    expect(await call()).toBe(200);

    await follow(page.getByRole('link', { name: 'Suspend tenant…' }));
    await submit(page, page.getByRole('button', { name: 'Suspend tenant' }));
    await page
      .getByRole('heading', { name: /Acme Portal/ })
      .getByText('suspended')
      .waitFor();
    expect(await call()).toBe(403);
    await submit(page, page.getByRole('button', { name: 'Reactivate tenant' }));
    await page
      .getByRole('heading', { name: /Acme Portal/ })
      .getByText('active')
      .waitFor();
    expect(await call()).toBe(200);

    await follow(page.getByTestId('api-key-row').filter({ hasText: keyId }).getByRole('link', { name: 'Revoke…' }));
    await submit(page, page.getByRole('button', { name: 'Revoke API key' }));
    await page.getByRole('status').getByText(`API key ${keyId} revoked`).waitFor();
    expect(await page.getByTestId('api-key-row').filter({ hasText: keyId }).textContent()).toContain('revoked');
    expect(await call()).toBe(401);
  });

  it('shows these actions in the audit log, newest first, filtered by tenant and action', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/audit');
    await page.getByLabel('Tenant key').fill(TENANT);
    await follow(page.getByRole('button', { name: 'Filter' }));
    const actions = await page.getByTestId('audit-row').locator('td:nth-child(4)').allTextContents();
    expect(actions).toEqual(
      expect.arrayContaining([
        'tenant.created',
        'tenant.api_key.created',
        'organization.created',
        'organization.updated',
        'user.created',
        'user.billable_changed',
        'tenant.suspended',
        'tenant.reactivated',
        'tenant.api_key.revoked',
      ]),
    );
    // Newest first: the revocation came last, the tenant's creation first.
    expect(actions[0]).toBe('tenant.api_key.revoked');
    expect(actions[actions.length - 1]).toBe('tenant.created');
    const actors = await page.getByTestId('audit-row').locator('td:nth-child(2)').allTextContents();
    expect(actors.every((a) => a.includes(ADMIN_EMAIL))).toBe(true);
    await shot(page, 'audit');

    await page.goto(`/console/audit?tenantKey=${TENANT}&action=user.billable_changed`);
    const rows = page.getByTestId('audit-row');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('td.details').textContent()).toContain('billable: false');
    expect(await rows.last().locator('td.details').textContent()).toContain('billable: true');
  });

  it('refuses a form posted without its CSRF token and changes nothing', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/tenants');
    await page.getByLabel('Key').fill('forged');
    await page.getByLabel('Name').fill('Forged tenant');
    await page.locator('form[action="/console/tenants"][method=post] input[name=_csrf]').evaluate((input) => input.remove());
    expect(await submit(page, page.getByRole('button', { name: 'Create tenant' }))).toBe(403);
    await page.getByText('This form has expired or did not come from Portico').waitFor();
    await shot(page, 'csrf-refused');
    expect((await fetch(`${t.baseUrl}/api/v1/tenants/forged`, { headers: { Authorization: t.admin } })).status).toBe(404);

    // A token from another session does not work either.
    const outsider = await browser.newContext({ baseURL: t.baseUrl });
    const other = await outsider.newPage();
    await other.goto('/console/login');
    const foreignToken = await other.locator('input[name=_csrf]').inputValue();
    await outsider.close();
    const forged = await page.request.post('/console/tenants', {
      form: { _csrf: foreignToken, key: 'forged', name: 'Forged tenant' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect((await fetch(`${t.baseUrl}/api/v1/tenants/forged`, { headers: { Authorization: t.admin } })).status).toBe(404);
  });

  it('shows user input as text on every page, never as markup', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/tenants');
    await page.getByLabel('Key').fill(XSS_TENANT);
    await page.getByLabel('Name').fill(XSS);
    await submit(page, page.getByRole('button', { name: 'Create tenant' }));
    await page.goto('/console/organizations');
    await page.getByLabel('Name', { exact: true }).fill('<img src=x onerror=alert(2)>');
    await page.locator('form[method=post] input[name=tenantKey]').fill(XSS_TENANT);
    await submit(page, page.getByRole('button', { name: 'Create organization' }));
    await page.goto('/console/users');
    await page.getByLabel('Email').fill('mallory@example.com');
    await page.getByLabel('First name').fill('<b>Mallory</b>');
    await page.locator('form[method=post] input[name=tenantKey]').fill(XSS_TENANT);
    await submit(page, page.getByRole('button', { name: 'Create user' }));

    const pages = [
      `/console/tenants`,
      `/console/tenants/${XSS_TENANT}`,
      `/console/tenants/${XSS_TENANT}/delete`,
      `/console/organizations?tenantKey=${XSS_TENANT}`,
      `/console/users?tenantKey=${XSS_TENANT}`,
      `/console/audit?tenantKey=${XSS_TENANT}`,
      `/console/tenants?search=${encodeURIComponent(XSS)}`,
    ];
    for (const path of pages) {
      await page.goto(path);
      const main = page.locator('main');
      expect(await main.locator('script, img, b').count()).toBe(0);
      const body = await main.innerText();
      expect(body.includes(XSS) || body.includes('<img src=x onerror=alert(2)>') || body.includes('<b>Mallory</b>')).toBe(true);
    }
    await page.goto(`/console/tenants/${XSS_TENANT}`);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain(XSS);
    await shot(page, 'xss-tenant');
    expect(dialogs).toEqual([]);
  });

  it('deletes a tenant only after its key is typed on the confirm page', async () => {
    if (!chromiumPresent) return;
    await page.goto(`/console/tenants/${XSS_TENANT}`);
    await follow(page.getByRole('link', { name: 'Delete tenant…' }));
    await shot(page, 'tenant-delete-confirm');
    await page.getByLabel(`Type ${XSS_TENANT} to confirm`).fill('wrong');
    expect(await submit(page, page.getByRole('button', { name: 'Delete tenant permanently' }))).toBe(400);
    expect(await page.getByTestId('form-errors').textContent()).toContain(`Type the tenant key “${XSS_TENANT}” to confirm`);
    expect((await fetch(`${t.baseUrl}/api/v1/tenants/${XSS_TENANT}`, { headers: { Authorization: t.admin } })).status).toBe(200);

    await page.getByLabel(`Type ${XSS_TENANT} to confirm`).fill(XSS_TENANT);
    await submit(page, page.getByRole('button', { name: 'Delete tenant permanently' }));
    expect(new URL(page.url()).pathname).toBe('/console/tenants');
    await page.getByRole('status').getByText('deleted, with everything it owned').waitFor();
    expect(await page.locator('main table').innerText()).not.toContain(XSS_TENANT);
    expect((await fetch(`${t.baseUrl}/api/v1/tenants/${XSS_TENANT}`, { headers: { Authorization: t.admin } })).status).toBe(404);
  });

  it('deletes a user and an organization through their confirm pages', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/users');
    await follow(page.locator(`tr[data-email="${USER_EMAIL}"]`).getByRole('link', { name: USER_EMAIL }));
    await follow(page.getByRole('link', { name: 'Delete user…' }));
    await submit(page, page.getByRole('button', { name: 'Delete user' }));
    await page.getByRole('status').getByText(`User ${USER_EMAIL} deleted.`).waitFor();
    expect(await page.locator(`tr[data-email="${USER_EMAIL}"]`).count()).toBe(0);

    // The last platform admin cannot be deleted: the confirm page says why.
    await follow(page.locator(`tr[data-email="${ADMIN_EMAIL}"]`).getByRole('link', { name: ADMIN_EMAIL }));
    await follow(page.getByRole('link', { name: 'Delete user…' }));
    expect(await submit(page, page.getByRole('button', { name: 'Delete user' }))).toBe(409);
    expect(await page.getByTestId('form-errors').textContent()).toContain('last active platform administrator');

    await page.goto('/console/organizations');
    await follow(page.getByRole('link', { name: 'Acme Corporation' }));
    await follow(page.getByRole('link', { name: 'Delete organization…' }));
    await submit(page, page.getByRole('button', { name: 'Delete organization' }));
    await page.getByRole('status').getByText('Organization “Acme Corporation”').waitFor();
    expect(await page.getByTestId('org-row').filter({ hasText: 'Acme Corporation' }).count()).toBe(0);
  });

  it('pages through a long list, keeping the search', async () => {
    if (!chromiumPresent) return;
    for (let i = 1; i <= 27; i++) {
      const res = await fetch(`${t.baseUrl}/api/v1/tenants`, {
        method: 'POST',
        headers: { Authorization: t.admin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: `paged-${String(i).padStart(2, '0')}`, name: `Paged ${i}` }),
      });
      expect(res.status).toBe(201);
    }
    await page.goto('/console/tenants');
    await page.getByLabel('Search').fill('paged-');
    await follow(page.getByRole('button', { name: 'Search' }));
    expect(await page.locator('.pager').innerText()).toContain('1–25 of 27');
    expect(await page.locator('main tbody tr').count()).toBe(25);
    await follow(page.getByRole('link', { name: 'Next →' }));
    expect(await page.locator('.pager').innerText()).toContain('26–27 of 27');
    expect(await page.locator('main tbody tr').allInnerTexts()).toEqual([
      expect.stringContaining('paged-26'),
      expect.stringContaining('paged-27'),
    ]);
    expect(await page.getByLabel('Search').inputValue()).toBe('paged-');
    await follow(page.getByRole('link', { name: '← Previous' }));
    expect(await page.locator('.pager').innerText()).toContain('1–25 of 27');
  });

  it('loaded every page without script errors (CSP, htmx)', () => {
    if (!chromiumPresent) return;
    expect(consoleErrors).toEqual([]);
  });

  /** Clicks a submit button and answers the status of the POST it sent (before any redirect). */
  async function submit(p: Page, button: Locator): Promise<number> {
    const posted = p.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
    await follow(button);
    return (await posted).status();
  }

  /** Clicks something that loads a new page and waits until that page has loaded. */

  async function shot(p: Page, name: string, path?: string): Promise<void> {
    if (path) await p.goto(path);
    await p.screenshot({ path: `/tmp/console-${name}.png`, fullPage: true });
  }

  async function getJson<T>(path: string): Promise<T> {
    const res = await fetch(`${t.baseUrl}${path}`, { headers: { Authorization: t.admin } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  async function findUser(email: string): Promise<{ id: string; billable: boolean }> {
    const list = await getJson<{ items: { id: string; billable: boolean }[] }>(
      `/api/v1/users?email=${encodeURIComponent(email)}&tenantKey=${TENANT}`,
    );
    expect(list.items).toHaveLength(1);
    return list.items[0];
  }
});
