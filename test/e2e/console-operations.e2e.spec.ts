import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, startTestApp, TestApp } from '../support/test-app';
import { consoleAdmin, decode, realProblems, WebSession } from '../support/web-session';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';

/** The console's operations pages: webhook delivery-log filters and test events, audit filters, the dashboard. */
describe.each(databaseKinds())('console: operations (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;
  let receiver: WebhookReceiver;
  let answer = 200;
  let endpointId: string;

  const rows = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
  const flashOf = (html: string) =>
    decode(/<div class="flash (?:success|error)" role="status">\s*<p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '');

  beforeAll(async () => {
    t = await startTestApp(kind, { WEBHOOK_RETRY_SCHEDULE: '0,1' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    receiver = await new WebhookReceiver((_hook, res) => {
      res.writeHead(answer, { 'x-trace': 'abc', 'set-cookie': 'session=receiver-secret' }).end(answer === 200 ? 'ok' : 'broken today');
    }).start();
    const created = await t.http
      .post('/api/v1/webhooks/endpoints')
      .set('Authorization', t.admin)
      .send({
        tenantKey: tenant.key,
        url: receiver.url(),
        description: 'Billing 100% _live_',
        events: ['user.created'],
        allowPrivateNetwork: true,
      })
      .expect(201);
    endpointId = created.body.id;
    // The one answer that carries the endpoint's secret, on purpose.
    problems.splice(0);
    admin = await consoleAdmin(t);
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('searches endpoints by URL or description, wildcards taken literally', async () => {
    expect(rows((await admin.get('/console/webhooks?search=100%25%20_LIVE_')).text, 'endpoint-row')).toBe(1);
    expect(rows((await admin.get(`/console/webhooks?search=${receiver.portNumber}`)).text, 'endpoint-row')).toBe(1);
    expect(rows((await admin.get('/console/webhooks?search=%25%25')).text, 'endpoint-row')).toBe(0);
    const long = await admin.get(`/console/webhooks?search=${'x'.repeat(5000)}`);
    expect(long.status).toBe(200);
    expect(long.text).toContain('No endpoint’s URL or description contains');
  });

  it('sends a signed test event and says what the receiver answered, keeping its headers without cookies', async () => {
    expect((await admin.postRaw(`/console/webhooks/${endpointId}/test`, {})).status).toBe(403);
    expect(receiver.of('webhook.test')).toHaveLength(0);

    answer = 500;
    const sent = await admin.submit(`/console/webhooks/${endpointId}/test`, {}, `/console/webhooks/${endpointId}`);
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(new RegExp(`^/console/webhooks/${endpointId}/messages/[0-9a-f-]{36}$`));
    const page = await admin.get(sent.headers.location);
    expect(flashOf(page.text)).toMatch(
      /^Test event not delivered: HTTP 500 in \d+ ms\. It is tried again at \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/,
    );
    expect(decode(/data-testid="response-body">([^<]*)</.exec(page.text)![1])).toBe('broken today');
    expect(page.text).toContain('x-trace');
    expect(page.text).not.toContain('receiver-secret');
    const hook = receiver.of('webhook.test')[0];
    expect(hook.json.data.endpointId).toBe(endpointId);
    expect(page.text).not.toContain(String(hook.headers['webhook-signature']));

    // The API's delivery log carries the same, signature shortened.
    const attempts = await t.http.get(`/api/v1/webhooks/endpoints/${endpointId}/deliveries`).set('Authorization', tenant.auth).expect(200);
    const [latest] = attempts.body.items;
    expect(latest.responseHeaders['set-cookie']).toBe('(hidden)');
    expect(latest.requestHeaders['webhook-signature']).toMatch(/^v1,.{9}…$/);
    answer = 200;
  });

  it('filters the delivery log by status and event; values it does not offer are ignored', async () => {
    await makeUser(t, tenant.auth);
    await eventually(() => receiver.of('user.created').length === 1);
    await eventually(async () => rows((await admin.get(`/console/webhooks/${endpointId}`)).text, 'message-row') === 2);
    expect(rows((await admin.get(`/console/webhooks/${endpointId}?eventType=user.created`)).text, 'message-row')).toBe(1);
    // The receiver took user.created at once; the test event's retry, a second later, may or may not have run by now.
    const none = await admin.get(`/console/webhooks/${endpointId}?status=failed&eventType=user.created`);
    expect(none.text).toContain('No message matches these filters.');
    // A NUL anywhere in a request is refused before any page sees it.
    expect((await admin.get(`/console/webhooks/${endpointId}?status=%00`)).status).toBe(400);
    for (const bad of ['status=bogus&eventType=x', 'eventType[]=user.created', 'offset=-1', `eventType=${'a'.repeat(500)}`]) {
      const res = await admin.get(`/console/webhooks/${endpointId}?${bad}`);
      expect(res.status).toBe(200);
      expect(rows(res.text, 'message-row')).toBe(2);
    }
  });

  it('refuses a test event to a disabled endpoint and another endpoint’s message page', async () => {
    const other = await t.http
      .post('/api/v1/webhooks/endpoints')
      .set('Authorization', t.admin)
      .send({ url: receiver.url('/other'), events: ['user.created'], enabled: false, allowPrivateNetwork: true })
      .expect(201);
    problems.splice(0);
    const refused = await admin.submit(`/console/webhooks/${other.body.id}/test`, {}, `/console/webhooks/${other.body.id}`);
    expect(refused.headers.location).toBe(`/console/webhooks/${other.body.id}`);
    expect(flashOf((await admin.get(refused.headers.location)).text)).toBe(
      'No test event sent: The endpoint is disabled: enable it first, then send a test event',
    );
    const messageId = receiver.of('webhook.test')[0].headers['webhook-id'];
    expect((await admin.get(`/console/webhooks/${other.body.id}/messages/${messageId}`)).status).toBe(404);
  });

  it('filters the audit log, links targets, and answers bad dates with 400', async () => {
    const byAdmin = await admin.get(`/console/audit?actor=${encodeURIComponent(ADMIN_EMAIL)}&action=webhook_endpoint.`);
    expect(rows(byAdmin.text, 'audit-row')).toBe(1);
    expect(byAdmin.text).toContain(`<a href="/console/webhooks/${endpointId}">webhook_endpoint</a>`);
    const byTenant = await admin.get(`/console/audit?tenantKey=${tenant.key}&action=tenant.api_key.`);
    expect(byTenant.text).toContain(`<a href="/console/tenants/${tenant.key}">tenant_api_key</a>`);
    expect(rows((await admin.get('/console/audit?since=2999-01-01T00:00')).text, 'audit-row')).toBe(0);
    const bad = await admin.get('/console/audit?since=yesterday');
    expect(bad.status).toBe(400);
    expect(decode(bad.text)).toContain('From must be a date and time such as 2026-01-31T14:00 (UTC)');
  });

  it('counts on the dashboard and ticks the steps done', async () => {
    const page = await admin.get('/console');
    expect(page.status).toBe(200);
    const count = (id: string) => new RegExp(`data-testid="count-${id}">(\\d+)<`).exec(page.text)![1];
    expect(count('tenants')).toBe('1');
    expect(count('users')).toBe('2');
    expect(page.text).toMatch(/3 of 6 done/);
    expect(decode(page.text)).toContain('1 disabled');
  });
});
