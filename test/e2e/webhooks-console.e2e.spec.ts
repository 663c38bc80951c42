import { chromium } from 'playwright-core';
import { watchResponses } from '../support/api-checks';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS } from '../support/browser';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { csrfOf, decode, realProblems, WebSession } from '../support/web-session';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';

const CSRF_REFUSED = 'This form has expired or did not come from Portico';

/** The console's Webhooks area: endpoints, the delivery log, resend, replay, rotation, and what a person sees. */
describe.each(databaseKinds())('console: webhooks (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;
  let receiver: WebhookReceiver;
  let answer = 500;

  const errorsOf = (html: string) =>
    [...(/data-testid="form-errors"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  // Creating answers 303 to the endpoint's page, which shows the secret once (a reload creates nothing).
  const createEndpoint = async (fields: Record<string, string | string[]>) => {
    const res = await admin.submit('/console/webhooks', fields, '/console/webhooks');
    expect(res.status).toBe(303);
    const id = /^\/console\/webhooks\/([0-9a-f-]{36})$/.exec(res.headers.location)![1];
    return { id, page: await admin.get(res.headers.location) };
  };
  const form = (extra: Record<string, string | string[]> = {}) => ({
    tenantKey: tenant.key,
    url: receiver.url(),
    events: ['user.created', 'user.deleted'],
    allowPrivateNetwork: 'on',
    ...extra,
  });

  beforeAll(async () => {
    t = await startTestApp(kind, { WEBHOOK_RETRY_SCHEDULE: '0,1' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    receiver = await new WebhookReceiver((_h, res) => void (answer === 204 ? undefined : res.writeHead(answer).end('not today'))).start();
    admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('is in the menu, with an empty list to start', async () => {
    const page = await admin.get('/console/webhooks');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<a href="\/console\/webhooks" class="active">Webhooks<\/a>/);
    expect(page.text).toContain('No endpoints yet.');
  });

  it('refuses an endpoint it may not call or that subscribes to nothing, keeping what was typed', async () => {
    const res = await admin.submit(
      '/console/webhooks',
      form({ url: 'https://127.0.0.1:9/hook', allowPrivateNetwork: '' }),
      '/console/webhooks',
    );
    expect(res.status).toBe(400);
    expect(errorsOf(res.text)).toEqual([expect.stringMatching(/^url: Refused to connect to 127\.0\.0\.1 .*needs allowPrivateNetwork/)]);
    expect(res.text).toContain('value="https://127.0.0.1:9/hook"');
    expect(res.text).toMatch(/value="user.deleted" checked/);
    const none = await admin.submit('/console/webhooks', form({ events: [] }), '/console/webhooks');
    expect(errorsOf(none.text)).toEqual(['Events: must name at least one event']);
  });

  it('creates an endpoint and shows its secret once', async () => {
    const created = await createEndpoint(form());
    const secret = /data-testid="secret">(whsec_[^<]+)</.exec(created.page.text)![1];
    expect(decode(secret)).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const page = await admin.get(`/console/webhooks/${created.id}`);
    expect(page.text).not.toContain(secret);
    expect(page.text).toContain('No messages yet');
    const list = await admin.get('/console/webhooks');
    expect(list.text).toMatch(new RegExp(`data-testid="endpoint-row"[\\s\\S]*${receiver.url()}[\\s\\S]*${tenant.key}[\\s\\S]*healthy`));
  });

  it('shows deliveries with status and timing, resends one and replays failed ones', async () => {
    const list = await admin.get('/console/webhooks');
    const id = /href="\/console\/webhooks\/([0-9a-f-]{36})"/.exec(list.text)![1];
    answer = 500;
    await makeUser(t, tenant.auth);
    await makeUser(t, tenant.auth);
    const failed = await eventually(async () => {
      const page = await admin.get(`/console/webhooks/${id}`);
      // The page reads the endpoint (its streak) and its messages in two queries: wait until both show the last attempt.
      const streak = /data-testid="failure-streak">4 failed attempt/.test(page.text);
      return (page.text.match(/<span class="badge bad">failed<\/span>/g) ?? []).length === 2 && streak && page.text;
    });
    expect(failed).toMatch(/HTTP 500/);
    expect(failed).toMatch(/\d+ ms/);
    expect(failed).toMatch(/data-testid="failure-streak">4 failed attempt\(s\) in a row/);
    expect(failed).toMatch(/<td class="small"><span class="error">HTTP 500<\/span><\/td>/);

    answer = 204;
    const messageId = /\/messages\/([0-9a-f-]{36})\/resend/.exec(failed)![1];
    const resent = await admin.submit(`/console/webhooks/${id}/messages/${messageId}/resend`, {}, `/console/webhooks/${id}`);
    expect(resent.status).toBe(303);
    expect((await admin.get(`/console/webhooks/${id}`)).text).toContain(`Message ${messageId} queued to be sent again.`);
    await eventually(async () => ((await admin.get(`/console/webhooks/${id}`)).text.match(/badge ok">succeeded/g) ?? []).length === 1);

    const since = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
    const replayed = await admin.submit(`/console/webhooks/${id}/replay`, { since }, `/console/webhooks/${id}`);
    expect(replayed.status).toBe(303);
    expect((await admin.get(`/console/webhooks/${id}`)).text).toContain('1 failed message(s) queued again.');
    const done = await eventually(async () => {
      const page = await admin.get(`/console/webhooks/${id}`);
      return (page.text.match(/badge ok">succeeded/g) ?? []).length === 2 && page.text;
    });
    expect(done).not.toContain('data-testid="failure-streak"');
    const badSince = await admin.submit(`/console/webhooks/${id}/replay`, { since: 'yesterday' }, `/console/webhooks/${id}`);
    expect(badSince.status).toBe(400);
    expect(badSince.text).toMatch(/data-testid="replay-errors"><p>Since: must be an ISO 8601 date-time<\/p>/);
  });

  it('says why an endpoint was disabled', async () => {
    answer = 410;
    const { id } = await createEndpoint(form({ events: ['user.created'] }));
    await makeUser(t, tenant.auth);
    const page = await eventually(async () => {
      const p = await admin.get(`/console/webhooks/${id}`);
      return p.text.includes('data-testid="disabled-reason"') && p.text;
    });
    expect(decode(page)).toMatch(/Disabled since .* UTC\.<\/strong> The endpoint answered 410 Gone, which asks for no more deliveries/);
    expect(page).toMatch(/data-testid="state">disabled|badge bad" data-testid="state">disabled/);
    answer = 204;
  });

  it('rotates the secret and deletes the endpoint, each only with the form’s CSRF token', async () => {
    const { id } = await createEndpoint(form());
    const forged = await admin.postRaw(`/console/webhooks/${id}/rotate-secret`, {});
    expect(forged.status).toBe(403);
    expect(forged.text).toContain(CSRF_REFUSED);
    const rotating = await admin.submit(`/console/webhooks/${id}/rotate-secret`, {}, `/console/webhooks/${id}`);
    expect(rotating.status).toBe(303);
    const rotated = await admin.get(rotating.headers.location);
    expect(rotated.text).toMatch(/the previous one signs too for 24 hours[\s\S]*data-testid="secret">whsec_/);
    expect(rotated.text).toMatch(/Rotation in progress: the previous secret signs too until/);
    expect((await admin.postRaw(`/console/webhooks/${id}/delete`, { _csrf: 'forged' })).status).toBe(403);
    const confirm = await admin.get(`/console/webhooks/${id}/delete`);
    const deleted = await admin.postRaw(`/console/webhooks/${id}/delete`, { _csrf: csrfOf(confirm.text) });
    expect(deleted.status).toBe(303);
    expect((await admin.get(`/console/webhooks/${id}`)).status).toBe(404);
  });

  it('looks right in a real browser', async () => {
    if (kind !== 'sqlite') return;
    if (!chromiumPresent) {
      if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires it`);
      process.stderr.write(`\n  [skipped] webhooks console screenshots: no Chromium at ${CHROMIUM}\n\n`);
      return;
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    try {
      const page = await (await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto('/console/login');
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/console');
      await page.goto('/console/webhooks');
      await page.screenshot({ path: '/tmp/webhooks-list.png', fullPage: true });
      await page.getByRole('link', { name: receiver.url() }).first().click();
      await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
      expect(await page.getByTestId('message-row').count()).toBeGreaterThan(0);
      await page.screenshot({ path: '/tmp/webhooks-endpoint.png', fullPage: true });
      await page.goto('/console/webhooks');
      await page.getByRole('link', { name: receiver.url() }).nth(1).click();
      await page.getByTestId('disabled-reason').waitFor();
      expect(await page.getByTestId('disabled-reason').isVisible()).toBe(true);
      await page.screenshot({ path: '/tmp/webhooks-disabled.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
