import type { Browser, Page } from 'playwright-core';
import { browserTests, consoleSession, follow, launchChromium, screenshots } from '../support/browser';
import { makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, startTestApp, type TestApp } from '../support/test-app';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';

/** Operations an administrator looks into: the dashboard, the webhook delivery log and a test event, the audit log's filters. */
(browserTests('console operations browser tests') ? describe : describe.skip)('console operations in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let receiver: WebhookReceiver;
  let tenant: TenantFixture;
  const pageErrors: string[] = [];
  const shots = (name: string) => screenshots(page, `console-operations-${name}`);

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    receiver = await new WebhookReceiver((_hook, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-receiver': 'portal-7' }).end('{"received":true,"by":"portal"}');
    }).start();
    browser = await launchChromium();
    page = await consoleSession(browser, t.baseUrl, pageErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.close();
  });

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('shows a fresh install its counts and a getting-started checklist that ticks steps off', async () => {
    expect(new URL(page.url()).pathname).toBe('/console');
    const steps = page.getByTestId('getting-started').getByTestId('step');
    expect(await steps.count()).toBe(6);
    expect(await page.getByTestId('getting-started').getByRole('heading').innerText()).toContain('0 of 6 done');
    expect(await page.getByTestId('count-tenants').innerText()).toBe('0');
    await shots('dashboard-fresh');

    tenant = await makeTenant(t);
    await makeUser(t, tenant.auth, { billable: true });
    await makeUser(t, tenant.auth);
    await page.reload();
    expect(await page.getByTestId('count-tenants').innerText()).toBe('1');
    // Everyone with an account, the platform administrator too.
    expect(await page.getByTestId('count-users').innerText()).toBe('3');
    expect(await page.getByTestId('count-billable').innerText()).toBe('1');
    // makeTenant made an API key too: two steps are done, and each still links to its page.
    expect(await page.getByTestId('getting-started').getByRole('heading').innerText()).toContain('2 of 6 done');
    expect(await steps.filter({ hasText: 'Create a tenant' }).getByText('done').count()).toBe(1);
    expect(await steps.filter({ hasText: 'Create an organization' }).getByText('done').count()).toBe(0);
    await follow(page.getByRole('link', { name: 'Create an organization' }));
    expect(new URL(page.url()).pathname).toBe('/console/organizations');
  });

  it('sends a test event and shows the request and the receiver’s answer in the delivery log', async () => {
    const created = await t.http
      .post('/api/v1/webhooks/endpoints')
      .set('Authorization', t.admin)
      .send({
        tenantKey: tenant.key,
        url: receiver.url(),
        description: 'Acme portal, staging',
        events: ['user.created'],
        allowPrivateNetwork: true,
      })
      .expect(201);
    await page.goto('/console/webhooks');
    await page.getByRole('searchbox', { name: 'Search' }).fill('staging');
    await follow(page.getByRole('button', { name: 'Search' }));
    expect(await page.getByTestId('endpoint-row').count()).toBe(1);
    await shots('webhooks-search');
    await follow(page.getByTestId('endpoint-row').getByRole('link'));

    await follow(page.getByRole('button', { name: 'Send test event' }));
    expect(await page.getByRole('status').innerText()).toMatch(/^Test event delivered: the endpoint answered HTTP 200 in \d+ ms\.$/);
    expect(receiver.of('webhook.test')).toHaveLength(1);
    const attempt = page.getByTestId('attempt');
    expect(await attempt.getByTestId('response-body').innerText()).toBe('{"received":true,"by":"portal"}');
    expect(await attempt.getByTestId('response-headers').innerText()).toContain('portal-7');
    // The signature is shortened in the log, never shown whole.
    const sent = String(receiver.of('webhook.test')[0].headers['webhook-signature']);
    expect(await attempt.innerText()).toContain(`${sent.slice(0, 12)}…`);
    expect(await page.content()).not.toContain(sent);
    expect(await page.getByTestId('payload').innerText()).toContain('"type": "webhook.test"');
    await shots('webhook-message');

    // A real event: the log lists both; the event filter keeps only the test.
    await makeUser(t, tenant.auth);
    await eventually(() => receiver.of('user.created').length === 1);
    await page.goto(`/console/webhooks/${created.body.id}`);
    await eventually(async () => {
      await page.reload();
      return (await page.getByTestId('message-row').count()) === 2;
    });
    await page.getByRole('combobox', { name: 'Event' }).selectOption('webhook.test');
    await follow(page.getByRole('button', { name: 'Filter' }));
    expect(await page.getByTestId('message-row').count()).toBe(1);
    await shots('webhook-endpoint');
    await follow(page.getByTestId('message-link'));
    expect(await page.getByTestId('response-body').innerText()).toContain('"received":true');
  });

  it('filters the audit log by actor and date, links targets to their pages, and fits 1280 px', async () => {
    await page.goto('/console/audit');
    // The test event was sent from the console: the admin is its actor.
    await page.getByLabel('Actor starts with').fill(ADMIN_EMAIL);
    await follow(page.getByRole('button', { name: 'Filter' }));
    const actors = await page.getByTestId('audit-actor').allInnerTexts();
    expect(actors.length).toBeGreaterThan(0);
    expect(actors.every((a) => a.startsWith(ADMIN_EMAIL))).toBe(true);
    expect(await page.locator('tr', { hasText: 'webhook_endpoint.test_sent' }).count()).toBe(1);
    expect(await page.getByTestId('export-csv').getAttribute('href')).toContain(`actor=${encodeURIComponent(ADMIN_EMAIL)}`);
    expect(await scrollsSideways()).toBe(false);
    await shots('audit-actor');

    // From tomorrow on, nothing; up to tomorrow, the same events.
    const tomorrow = new Date(t.clock.nowMs() + 86_400_000).toISOString().slice(0, 16);
    await page.getByLabel('From').fill(tomorrow);
    await follow(page.getByRole('button', { name: 'Filter' }));
    expect(await page.getByText('No event matches these filters.').count()).toBe(1);
    await page.getByLabel('From').fill('');
    await page.getByLabel('To', { exact: true }).fill(tomorrow);
    await follow(page.getByRole('button', { name: 'Filter' }));
    expect(await page.getByTestId('audit-row').count()).toBe(actors.length);

    await follow(page.locator('tr', { hasText: 'webhook_endpoint.test_sent' }).getByRole('link', { name: 'webhook_endpoint' }));
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('Endpoint');
  });

  it('shows health and the monthly charts once there is activity', async () => {
    await page.goto('/console');
    const health = page.getByTestId('health');
    expect(await health.innerText()).toContain('all delivering');
    expect(await health.innerText()).toContain('none expiring within 30 days');
    expect(await page.locator('figure.chart').count()).toBeGreaterThan(0);
    expect(await scrollsSideways()).toBe(false);
    await shots('dashboard');
  });

  async function scrollsSideways(): Promise<boolean> {
    // A string: the specs compile without the DOM's types.
    return page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth');
  }
});
