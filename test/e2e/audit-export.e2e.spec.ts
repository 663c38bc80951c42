import { parse } from 'csv-parse/sync';
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, WebSession } from '../support/web-session';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';

interface ExportedEvent {
  id: string;
  at: string;
  actor: { kind: string; id: string; label: string };
  tenantKey: string | null;
  action: string;
  target: { type: string; id: string | null };
  ip: string | null;
  details: Record<string, unknown> | null;
}

function ndjson(text: string): ExportedEvent[] {
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportedEvent);
}

describe.each(databaseKinds())('audit export and streaming (%s)', (kind) => {
  let t: TestApp;
  let acme: TenantFixture;
  let globex: TenantFixture;
  let between: Date;
  let afterAll_: Date;

  beforeAll(async () => {
    t = await startTestApp(kind);
    acme = await makeTenant(t);
    await makeUser(t, acme.auth, { email: 'ada@acme.example' });
    // Audit times come from the real clock: a pause keeps the two batches apart.
    await sleep(30);
    between = new Date();
    await sleep(30);
    globex = await makeTenant(t);
    await makeUser(t, globex.auth, { email: 'grace@globex.example' });
    await t.http
      .post('/api/v1/organizations')
      .set('Authorization', globex.auth)
      .send({ name: 'Quotes "and", commas, and more' })
      .expect(201);
    await sleep(30);
    afterAll_ = new Date();
  });
  afterAll(() => t?.close());

  it('streams every event as NDJSON, oldest first, in the list’s shape', async () => {
    const res = await t.http.get('/api/v1/audit-events/export').set('Authorization', t.admin).expect(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="audit-events-.+\.ndjson"$/);
    const events = ndjson(res.text);
    const listed = await t.http.get('/api/v1/audit-events?limit=500').set('Authorization', t.admin).expect(200);
    expect(events).toHaveLength(listed.body.total);
    expect(events).toEqual([...listed.body.items].reverse());
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['tenant.created', 'user.created', 'organization.created']));
  });

  it('filters by action prefix, tenant and time range', async () => {
    const get = async (query: Record<string, string>) =>
      ndjson((await t.http.get('/api/v1/audit-events/export').query(query).set('Authorization', t.admin).expect(200)).text);

    const users = await get({ action: 'user.' });
    expect(users.length).toBeGreaterThanOrEqual(2);
    expect(users.every((e) => e.action.startsWith('user.'))).toBe(true);
    expect(users.filter((e) => e.tenantKey).map((e) => e.tenantKey)).toEqual([acme.key, globex.key]);
    const exact = await get({ action: 'tenant.api_key.created' });
    expect(exact.length).toBe(2);
    expect(await get({ action: 'user.created.' })).toEqual([]);

    const ofGlobex = await get({ tenantKey: globex.key });
    expect(ofGlobex.length).toBeGreaterThan(0);
    expect(ofGlobex.every((e) => e.tenantKey === globex.key)).toBe(true);
    expect(ofGlobex.map((e) => e.action)).toContain('organization.created');

    const later = await get({ since: between.toISOString() });
    expect(later.every((e) => Date.parse(e.at) >= between.getTime())).toBe(true);
    expect(later.some((e) => e.tenantKey === acme.key && e.action === 'user.created')).toBe(false);
    expect(later.some((e) => e.tenantKey === globex.key && e.action === 'user.created')).toBe(true);

    const earlier = await get({ until: between.toISOString(), action: 'user.' });
    expect(earlier.filter((e) => e.tenantKey).map((e) => e.tenantKey)).toEqual([acme.key]);
    expect(await get({ since: afterAll_.toISOString() })).toEqual([]);

    const byActor = await get({ actor: `tenant:${globex.key}/` });
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e) => e.actor.label.startsWith(`tenant:${globex.key}/`))).toBe(true);
  });

  it('streams CSV with a header, quoted cells and the details as JSON', async () => {
    const res = await t.http.get('/api/v1/audit-events/export?format=csv&action=organization.').set('Authorization', t.admin).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parse(res.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([
      'id',
      'at',
      'actor_kind',
      'actor_id',
      'actor_label',
      'tenant_key',
      'action',
      'target_type',
      'target_id',
      'ip',
      'details',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].tenant_key).toBe(globex.key);
    expect(JSON.parse(rows[0].details).name).toBe('Quotes "and", commas, and more');
  });

  it('answers bad parameters with 400, and a tenant API key with 403', async () => {
    const bad = await t.http.get('/api/v1/audit-events/export?format=xml&since=yesterday').set('Authorization', t.admin).expect(400);
    expect(bad.body.message).toMatch(/format must be ndjson or csv/);
    expect(bad.body.message).toMatch(/since must be an ISO 8601 date-time/);
    const tenant = await t.http.get('/api/v1/audit-events/export').set('Authorization', acme.auth).expect(403);
    expect(tenant.body.message).toBe('Only platform administrators may call this route');
    await t.http.get('/api/v1/audit-events/export').expect(401);
  });

  it('filters the console audit page by action prefix, actor, tenant and time, and downloads the same export', async () => {
    const b = new WebSession(t);
    expect((await b.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303);
    const get = async (path: string, status = 200) => {
      const res = await b.get(path);
      expect(res.status).toBe(status);
      return res;
    };

    const page = await get(`/console/audit?action=user.&tenantKey=${globex.key}&actor=tenant:`);
    expect(page.text.match(/data-testid="audit-row"/g)).toHaveLength(1);
    expect(page.text).toContain('<code>user.created</code>');
    const csvLink = decode(/href="([^"]+)" data-testid="export-csv"/.exec(page.text)![1]);
    expect(csvLink).toBe(`/console/audit/export?tenantKey=${globex.key}&action=user.&actor=tenant%3A&format=csv`);

    const csv = await get(csvLink);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.action, r.tenant_key])).toEqual([['user.created', globex.key]]);

    const until = encodeURIComponent(between.toISOString());
    const early = await get(`/console/audit/export?format=ndjson&until=${until}&action=tenant.created`);
    expect(ndjson(early.text).map((e) => e.tenantKey)).toEqual([acme.key]);

    const bad = await get('/console/audit?since=yesterday', 400);
    expect(decode(bad.text)).toContain('From must be a date and time such as 2026-01-31T14:00 (UTC)');
    await get('/console/audit/export?until=soon', 400);
    // Without a console session: the sign-in page, not the log.
    expect((await t.http.get('/console/audit/export').set('Accept', 'text/html')).status).not.toBe(200);
  });

  it('delivers audit.event to a tenant endpoint (its own events only) and to a platform endpoint (all of them)', async () => {
    const tenantHooks = await new WebhookReceiver().start();
    const platformHooks = await new WebhookReceiver().start();
    try {
      await t.http
        .post('/api/v1/webhooks/endpoints')
        .set('Authorization', t.admin)
        .send({ tenantKey: acme.key, url: tenantHooks.url(), events: ['audit.event'], allowPrivateNetwork: true })
        .expect(201);
      await t.http
        .post('/api/v1/webhooks/endpoints')
        .set('Authorization', t.admin)
        .send({ url: platformHooks.url(), events: ['audit.event'], allowPrivateNetwork: true })
        .expect(201);

      const ada = await makeUser(t, acme.auth, { email: 'second@acme.example' });
      const grace = await makeUser(t, globex.auth, { email: 'second@globex.example' });

      const forAcme = await eventually(() => tenantHooks.of('audit.event').find((h) => h.json.data.target.id === ada.id));
      expect(forAcme.json.data).toMatchObject({ action: 'user.created', tenantKey: acme.key, actor: { kind: 'tenant' } });
      expect(typeof forAcme.json.data.at).toBe('string');
      const both = await eventually(() => {
        const ids = platformHooks.of('audit.event').map((h) => h.json.data.target.id);
        return ids.includes(ada.id) && ids.includes(grace.id);
      });
      expect(both).toBe(true);

      // Give the delivery of anything else time to arrive, then check the tenant saw only its own.
      await sleep(300);
      const seen = tenantHooks.of('audit.event').map((h) => h.json.data.tenantKey);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((key) => key === acme.key)).toBe(true);
    } finally {
      await tenantHooks.close();
      await platformHooks.close();
    }
  });
});
