import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPeriod } from '../support/billing';
import { databaseKinds } from '../support/databases';
import { check, expectRefused, makeClass } from '../support/entitlements';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { freePort } from '../support/ports';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';
import { WebSession } from '../support/web-session';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const PASSWORD = 'Quartz-Marten-58-fjord';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** A family's type and its samples, read from the exposition text. */
interface Family {
  type: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined =>
    families.get(sample) ?? families.get(sample.replace(/_(bucket|sum|count|total|created)$/, ''));
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1], { type: type[2], samples: [] });
    if (!line || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`Not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    const family = familyOf(sample[1]);
    if (!family) throw new Error(`A sample without a # TYPE line: ${line}`);
    family.samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return families;
}

/** The sum of a family's samples named `name` whose labels include `where`. */
function total(families: Map<string, Family>, family: string, name: string, where: Record<string, string> = {}): number {
  return (families.get(family)?.samples ?? [])
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe.each(databaseKinds())('metrics (%s)', (kind) => {
  let t: TestApp;
  let metricsPort: number;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    metricsPort = await freePort();
    receiver = await new WebhookReceiver().start();
    t = await startTestApp(kind, {
      METRICS_TOKEN,
      METRICS_PORT: String(metricsPort),
      TRUST_PROXY: 'loopback',
      WEBHOOK_RETRY_SCHEDULE: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const scrape = async (): Promise<{ text: string; families: Map<string, Family> }> => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.text, families: parseExposition(res.text) };
  };

  it('refuses /metrics without the token or with a wrong one', async () => {
    const none = await t.http.get('/metrics').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}x`).expect(401);
    await t.http.get('/metrics').set('Authorization', t.admin).expect(401);
    await t.http
      .get('/metrics')
      .set('Authorization', `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`)
      .expect(401);
  });

  it('serves the HTTP families by route template, never by raw id', async () => {
    const tenant = await makeTenant(t);
    const org = await makeOrganization(t, tenant.auth);
    const user = await makeUser(t, tenant.auth, { organizationId: org.id });
    await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).expect(200);
    await t.http.get('/no/such/page/0b6f9c1e-7f43-4a52-9d59-1b2c3d4e5f60').expect(404);
    const { text, families } = await scrape();
    expect(families.get('portico_http_request_duration_seconds')?.type).toBe('histogram');
    expect(
      total(families, 'portico_http_request_duration_seconds', 'portico_http_request_duration_seconds_count', {
        route: '/api/v1/users/:id',
        method: 'GET',
        status: '200',
      }),
    ).toBe(1);
    expect(
      total(families, 'portico_http_request_duration_seconds', 'portico_http_request_duration_seconds_count', {
        route: 'unmatched',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(text).not.toMatch(UUID);
  });

  it('types every family Portico records', async () => {
    const { families } = await scrape();
    const types = Object.fromEntries(
      [
        'portico_http_request_duration_seconds',
        'portico_sign_ins_total',
        'portico_lockouts_total',
        'portico_oidc_tokens_total',
        'portico_webhook_deliveries_total',
        'portico_webhook_messages_waiting',
        'portico_webhook_oldest_waiting_seconds',
        'portico_outbox_lag_seconds',
        'portico_outbox_events_waiting',
        'portico_billing_charges_total',
        'portico_entitlement_decisions_total',
        'portico_job_queue_depth',
      ].map((name) => [name, families.get(name)?.type]),
    );
    expect(types).toEqual({
      portico_http_request_duration_seconds: 'histogram',
      portico_sign_ins_total: 'counter',
      portico_lockouts_total: 'counter',
      portico_oidc_tokens_total: 'counter',
      portico_webhook_deliveries_total: 'counter',
      portico_webhook_messages_waiting: 'gauge',
      portico_webhook_oldest_waiting_seconds: 'gauge',
      portico_outbox_lag_seconds: 'gauge',
      portico_outbox_events_waiting: 'gauge',
      portico_billing_charges_total: 'counter',
      portico_entitlement_decisions_total: 'counter',
      portico_job_queue_depth: 'gauge',
    });
  });

  it('counts sign-ins by method and outcome, and lockouts', async () => {
    await t.http
      .put('/api/v1/settings/authentication')
      .set('Authorization', t.admin)
      .send({ lockout: { maxPasswordFailures: 2, baseWaitSeconds: 1, maxWaitSeconds: 4 } })
      .expect(200);
    const org = await makeOrganization(t, t.admin);
    const user = await makeUser(t, t.admin, { email: `metrics-${kind}@marten.example`, password: PASSWORD, organizationId: org.id });
    const signIns = (families: Map<string, Family>, outcome: string) =>
      total(families, 'portico_sign_ins_total', 'portico_sign_ins_total', { method: 'password', outcome });
    const before = (await scrape()).families;

    expect((await new WebSession(t, '10.9.0.1').login(user.email, PASSWORD)).status).toBe(303);
    const browser = new WebSession(t, '10.9.0.2');
    expect((await browser.login(user.email, 'wrong-password-1')).status).toBe(401);
    expect((await browser.login(user.email, 'wrong-password-1')).status).toBe(429);
    expect((await browser.login(user.email, PASSWORD)).status).toBe(429);

    const after = (await scrape()).families;
    expect(signIns(after, 'succeeded') - signIns(before, 'succeeded')).toBe(1);
    expect(signIns(after, 'failed') - signIns(before, 'failed')).toBe(1);
    expect(signIns(after, 'locked') - signIns(before, 'locked')).toBe(2);
    const lockouts = (f: Map<string, Family>) =>
      total(f, 'portico_lockouts_total', 'portico_lockouts_total', { kind: 'password', scope: 'account' });
    expect(lockouts(after) - lockouts(before)).toBe(1);
  });

  it('counts OIDC token requests by grant type, a made-up grant type as other', async () => {
    const tokens = (f: Map<string, Family>, grant: string) =>
      total(f, 'portico_oidc_tokens_total', 'portico_oidc_tokens_total', { grant, outcome: 'refused' });
    const before = (await scrape()).families;
    const token = (form: Record<string, string>) => t.http.post('/oidc/token').type('form').send(form);
    expect((await token({ grant_type: 'authorization_code', code: 'nope', client_id: 'nobody', client_secret: 'x' })).status).toBe(401);
    expect((await token({ grant_type: 'urn:made-up:0b6f9c1e', client_id: 'nobody', client_secret: 'x' })).status).toBeGreaterThanOrEqual(
      400,
    );
    const after = (await scrape()).families;
    expect(tokens(after, 'authorization_code') - tokens(before, 'authorization_code')).toBe(1);
    expect(tokens(after, 'other') - tokens(before, 'other')).toBe(1);
  });

  it('counts entitlement decisions by code', async () => {
    const product = await makeClass(t);
    const decisions = (f: Map<string, Family>, code: string) =>
      total(f, 'portico_entitlement_decisions_total', 'portico_entitlement_decisions_total', { code, channel: 'check' });
    const before = (await scrape()).families;
    expectRefused(await check(t, `server=${product.server};class=${product.name};key=no-such-key`));
    expectRefused(await check(t, `server=${product.server};class=${product.name};key=no-such-key-either`));
    expectRefused(await check(t, 'key=only'));
    const after = (await scrape()).families;
    expect(decisions(after, 'NOT_FOUND') - decisions(before, 'NOT_FOUND')).toBe(2);
    expect(decisions(after, 'BAD_REQUEST') - decisions(before, 'BAD_REQUEST')).toBe(1);
    // The check is counted among the HTTP requests by its own route too.
    expect(
      total(after, 'portico_http_request_duration_seconds', 'portico_http_request_duration_seconds_count', {
        route: '/entitlements/check',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('counts webhook deliveries by outcome and reads the waiting messages at scrape time', async () => {
    const tenant = await makeTenant(t);
    await t.http
      .post('/api/v1/webhooks/endpoints')
      .set('Authorization', t.admin)
      .send({ tenantKey: tenant.key, url: receiver.url(), events: ['user.created'], allowPrivateNetwork: true })
      .expect(201);
    const delivered = (f: Map<string, Family>) =>
      total(f, 'portico_webhook_deliveries_total', 'portico_webhook_deliveries_total', { outcome: 'succeeded' });
    const before = (await scrape()).families;
    await makeUser(t, tenant.auth, {});
    await makeUser(t, tenant.auth, {});
    await eventually(() => receiver.of('user.created').length === 2);
    const after = await eventually(async () => {
      const { families } = await scrape();
      return delivered(families) - delivered(before) === 2 && families;
    });
    // Read at scrape time, a few seconds stale at most: move past the cache to see them settle.
    t.clock.advance(10_000);
    const settled = await eventually(async () => {
      t.clock.advance(10_000);
      const { families } = await scrape();
      return total(families, 'portico_webhook_messages_waiting', 'portico_webhook_messages_waiting') === 0 && families;
    });
    expect(total(settled, 'portico_webhook_oldest_waiting_seconds', 'portico_webhook_oldest_waiting_seconds')).toBe(0);
    expect(total(settled, 'portico_outbox_lag_seconds', 'portico_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(after.get('portico_job_queue_depth')?.samples.map((s) => s.labels.state)).toEqual(expect.arrayContaining(['waiting', 'active']));
  });

  it('counts the charges of a billing run by route and status', async () => {
    await makeOrganization(t, t.admin, { plan: { priceCents: 4900, currency: 'EUR' } });
    const open = (f: Map<string, Family>) =>
      total(f, 'portico_billing_charges_total', 'portico_billing_charges_total', { route: 'direct', status: 'open' });
    const before = (await scrape()).families;
    const run = await runPeriod(t, '2026-03');
    expect(run.status).toBe('completed');
    expect(open((await scrape()).families) - open(before)).toBe(run.counts.direct);
    expect(run.counts.direct).toBeGreaterThanOrEqual(1);
  });

  it('serves every family the Grafana dashboard charts', async () => {
    const dashboard = JSON.parse(readFileSync(join(__dirname, '../../docs/grafana-dashboard.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const asked = new Set(
      dashboard.panels
        .flatMap((p) => p.targets ?? [])
        .flatMap((target) => [...target.expr.matchAll(/\b((?:portico|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1])),
    );
    expect(asked.size).toBeGreaterThan(10);
    const { families } = await scrape();
    const served = (name: string) => families.has(name) || families.has(name.replace(/_(bucket|sum|count)$/, ''));
    expect([...asked].filter((name) => !served(name))).toEqual([]);
  });

  it('never labels a series with an id', async () => {
    const { text } = await scrape();
    expect(text).not.toMatch(UUID);
  });

  it('serves the same families without a token on METRICS_PORT, and nothing else there', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(parseExposition(await res.text()).get('portico_http_request_duration_seconds')?.type).toBe('histogram');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/v1/users`)).status).toBe(404);
  });
});

describe('metrics switched off', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp('sqlite')));
  afterAll(async () => t?.close());

  it('has no /metrics without METRICS_TOKEN', async () => {
    await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(404);
  });
});
