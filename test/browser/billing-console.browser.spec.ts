import { chromium, type Browser, type Page } from 'playwright-core';
import { runPeriod, setBillingApi, waitForRun } from '../support/billing';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS } from '../support/browser';
import { FakeBillingApi } from '../support/fake-billing-api';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'otter-password-2026';

/** The billing console and the account page's charges in a real browser; screenshots in /tmp/billing-*.png. */
describe('billing console in a real browser', () => {
  let t: TestApp;
  let api: FakeBillingApi;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests`);
      process.stderr.write(`\n  [skipped] billing browser tests: no Chromium at ${CHROMIUM}\n\n`);
      return;
    }
    api = await new FakeBillingApi().start();
    t = await startTestApp('sqlite');
    const tenant = await makeTenant(t, 'acme-portal');
    await setBillingApi(t, tenant.key, api.setting);
    const orgs = [
      await makeOrganization(t, tenant.auth, {
        name: 'Acme Robotics',
        externalUid: 'grp-robotics',
        plan: { priceCents: 4900, currency: 'EUR' },
      }),
      await makeOrganization(t, tenant.auth, { name: 'Acme Labs', externalUid: 'grp-labs', plan: { priceCents: 9900, currency: 'EUR' } }),
      await makeOrganization(t, tenant.auth, { name: 'Acme Unlinked', plan: { priceCents: 2900, currency: 'EUR' } }),
      await makeOrganization(t, t.admin, { name: 'Otter Works', plan: { priceCents: 19900, currency: 'EUR' } }),
      await makeOrganization(t, t.admin, { name: 'Beaver & Co', plan: { priceCents: 2500, currency: 'USD' } }),
    ];
    await makeUser(t, t.admin, { email: 'ada@otter.example', password: PASSWORD, organizationId: orgs[3].id, role: 'owner' });
    // Some history for the chart: the plans grew over the months.
    for (const [i, period] of ['2026-06', '2026-07', '2026-08', '2026-09', '2026-10'].entries()) {
      await t.http
        .patch(`/api/v1/organizations/${orgs[3].id}`)
        .set('Authorization', t.admin)
        .send({ plan: { priceCents: 9900 + i * 2500, currency: 'EUR' } })
        .expect(200);
      await runPeriod(t, period);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await (await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await api?.close();
  });
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('shows runs and the billed amounts per month, one chart per currency', async () => {
    if (!chromiumPresent) return;
    await page.goto('/console/login');
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
    const eur = page.getByRole('img', { name: 'Billed per month in EUR, by route' });
    await eur.waitFor();
    expect(await page.getByRole('img', { name: /Billed per month in/ }).count()).toBe(2);
    expect(await page.getByTestId('run-row').count()).toBe(5);
    await page.screenshot({ path: '/tmp/billing-overview.png', fullPage: true });
  });

  it('runs a dry run, then the real run, from the form', async () => {
    if (!chromiumPresent) return;
    await page.getByLabel('Period').fill('2026-11');
    await page.getByLabel(/Dry run/).check();
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Run billing' }).click()]);
    await page.getByRole('heading', { name: 'Dry run: November 2026' }).waitFor();
    expect(await page.getByTestId('preview-row').count()).toBe(5);
    expect(await page.getByTestId('preview-tenant').textContent()).toBe('2');
    await page.screenshot({ path: '/tmp/billing-dry-run.png', fullPage: true });

    // The real run asks first, saying what it will bill.
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Run billing for November 2026…' }).click()]);
    await page.getByRole('heading', { name: 'Bill November 2026 for real?' }).waitFor();
    expect(await page.getByRole('main').innerText()).toContain('sends 2 bill(s) to tenants');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Run billing for November 2026' }).click()]);
    await page.getByRole('status').getByText('Billing run for November 2026 started.').waitFor();
    const runId = new URL(page.url()).pathname.split('/').pop()!;
    await waitForRun(t, runId);
    await page.reload();
    expect(await page.getByTestId('count-direct').textContent()).toBe('2');
    expect(await page.getByTestId('count-submitted').textContent()).toBe('2');
    expect(await page.getByTestId('count-failed').textContent()).toBe('1');
    await page.screenshot({ path: '/tmp/billing-run.png', fullPage: true });

    await Promise.all([page.waitForEvent('load'), page.getByTestId('count-failed').getByRole('link').click()]);
    expect(await page.getByTestId('charge-row').count()).toBe(1);
    await page.getByText(/has no externalUid/).waitFor();
    await page.screenshot({ path: '/tmp/billing-charges-failed.png', fullPage: true });
    await page.goto('/console/billing/charges');
    await page.screenshot({ path: '/tmp/billing-charges.png', fullPage: true });
  });

  it("shows an organization owner its organization's charges on the account page", async () => {
    if (!chromiumPresent) return;
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1000, height: 800 } });
    const user = await context.newPage();
    await user.goto('/login');
    await user.getByLabel(/Email/).fill('ada@otter.example');
    await user.getByLabel('Password').fill(PASSWORD);
    await Promise.all([user.waitForEvent('load'), user.getByRole('button', { name: 'Sign in' }).click()]);
    await user.getByRole('heading', { name: 'Charges' }).waitFor();
    expect(await user.getByTestId('charges').getByRole('row').count()).toBe(7);
    await user.screenshot({ path: '/tmp/billing-account.png', fullPage: true });
    await context.close();
  });
});
