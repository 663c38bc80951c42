import { watchResponses } from '../support/api-checks';
import { chargesOf, setBillingApi, waitForRun } from '../support/billing';
import { databaseKinds } from '../support/databases';
import { FakeBillingApi } from '../support/fake-billing-api';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, decode, realProblems, WebSession } from '../support/web-session';

const AREA = '/console/billing';
const XSS = '<img src=x onerror=alert(1)>';
const PASSWORD = 'otter-password-2026';

/** The console's billing pages and the account page's charges, over HTTP as a browser sends them. */
describe.each(databaseKinds())('console billing (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let api: FakeBillingApi;
  let tenant: TenantFixture;
  let admin: WebSession;
  let memberOrg: { id: string; name: string };

  beforeAll(async () => {
    api = await new FakeBillingApi().start();
    // Short waits, for the bill whose answer is lost.
    t = await startTestApp(kind, { BILLING_TIMEOUT_MS: '300', BILLING_RETRY_DELAYS_MS: '20' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    await setBillingApi(t, tenant.key, api.setting);
    await makeOrganization(t, tenant.auth, { name: `Portal ${XSS}`, externalUid: 'grp-1', plan: { priceCents: 4900, currency: 'EUR' } });
    await makeOrganization(t, tenant.auth, { name: 'Portal without uid', plan: { priceCents: 4900, currency: 'EUR' } });
    memberOrg = await makeOrganization(t, t.admin, { name: 'Otter Works', plan: { priceCents: 19900, currency: 'EUR' } });
    await makeOrganization(t, t.admin, { name: 'Not billed' });
    admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  const text = (html: string) => decode(html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));

  it('is in the navigation and every page renders, each form with its CSRF token', async () => {
    const dashboard = await admin.get('/console');
    expect(dashboard.text).toMatch(/href="\/console\/billing" class="\s*"/);
    for (const page of ['', '/charges', '/charges?status=failed&route=tenant&period=2026-11']) {
      const res = await admin.get(`${AREA}${page}`);
      expect({ page, status: res.status }).toEqual({ page, status: 200 });
      const forms = res.text.match(/<form method="post"/g) ?? [];
      const tokens = res.text.match(/name="_csrf" value="[^"]+"/g) ?? [];
      expect(tokens.length).toBeGreaterThanOrEqual(forms.length);
    }
    expect((await admin.get(AREA)).text).toContain('No billing run yet.');
  });

  it('refuses a form without its CSRF token, and a malformed period with the reason', async () => {
    expect((await admin.postRaw(`${AREA}/runs`, { period: '2026-11' })).status).toBe(403);
    const bad = await admin.submit(`${AREA}/runs`, { period: '2026-13' }, AREA);
    expect(bad.status).toBe(400);
    expect(alertOf(bad.text)).toBe('Period: must be a month written YYYY-MM, such as 2026-11');
    expect(bad.text).toContain('value="2026-13"');
    expect((await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin)).body.total).toBe(0);
  });

  it('shows a dry run and writes nothing', async () => {
    const res = await admin.submit(`${AREA}/runs`, { period: '2026-11', dryRun: 'on' }, AREA);
    expect(res.status).toBe(200);
    const page = text(res.text);
    expect(page).toContain('Dry run: November 2026');
    expect(res.text).toMatch(/data-testid="preview-organizations">3</);
    expect(res.text).toMatch(/data-testid="preview-direct">1</);
    expect(res.text).toMatch(/data-testid="preview-tenant">1</);
    expect(page).toContain('EUR direct 1 €199.00 EUR tenant 1 €49.00');
    expect(page).toMatch(/no externalUid/);
    // Names are text, never markup.
    expect(res.text).not.toContain(XSS);
    expect(res.text).toContain('Portal &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect((await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin)).body.total).toBe(0);
    expect(await chargesOf(t, t.admin, { period: '2026-11' })).toEqual([]);
    expect(api.requests).toHaveLength(0);
  });

  it('starts a run, shows its progress page, then its counts, the chart and the charges', async () => {
    const started = await admin.submit(`${AREA}/runs`, { period: '2026-11', confirm: 'yes' }, AREA);
    expect(started.status).toBe(303);
    const runId = /\/console\/billing\/runs\/([0-9a-f-]{36})$/.exec(started.headers.location)![1];
    const first = await admin.get(started.headers.location);
    expect(first.status).toBe(200);
    expect(text(first.text)).toContain('Billing run for November 2026 started.');
    const run = await waitForRun(t, runId);
    expect(run.counts).toMatchObject({ direct: 1, submitted: 1, failed: 1 });
    await expectAudited(runId);

    const detail = await admin.get(started.headers.location);
    expect(detail.text).toMatch(/data-testid="count-direct">1</);
    expect(detail.text).toMatch(/data-testid="count-submitted">1</);
    expect(detail.text).toContain(`href="/console/billing/charges?runId=${runId}&amp;status=failed"`);
    expect(text(detail.text)).toMatch(/EUR direct 1 €199\.00/);

    const overview = await admin.get(AREA);
    expect(overview.text.match(/data-testid="run-row"/g)).toHaveLength(1);
    expect(overview.text).toMatch(/<svg [^>]*role="img" aria-labelledby="chart-eur-title chart-eur-desc"/);
    expect(text(overview.text)).toContain('November 2026: €199.00 direct, €49.00 through tenants');

    const failed = await admin.get(`${AREA}/charges?runId=${runId}&status=failed`);
    expect(failed.text.match(/data-testid="charge-row"/g)).toHaveLength(1);
    expect(text(failed.text)).toContain('Portal without uid');
    expect(text(failed.text)).toMatch(/no externalUid/);
    const tenantRows = await admin.get(`${AREA}/charges?tenantKey=${tenant.key}&route=tenant&status=submitted`);
    expect(tenantRows.text.match(/data-testid="charge-row"/g)).toHaveLength(1);
    expect(tenantRows.text).not.toContain(XSS);
    expect(tenantRows.text).toContain('bill-1');
    // An organization is picked by its name, not its id.
    const byName = await admin.get(`${AREA}/charges?organization=${encodeURIComponent('portal without UID')}`);
    expect(byName.text.match(/data-testid="charge-row"/g)).toHaveLength(1);
    expect(text(byName.text)).toContain('Portal without uid');
  });

  it('says which charge filter is wrong', async () => {
    const res = await admin.get(`${AREA}/charges?period=November&status=paid`);
    expect(res.status).toBe(400);
    expect(alertOf(res.text)).toContain('Period: must be a month written YYYY-MM');
    expect(text(res.text)).toContain('Status: must be one of pending, submitted, open, failed');
    expect(res.text).toContain('No charge matches these filters.');
    const nobody = await admin.get(`${AREA}/charges?organization=Nobody+Ltd`);
    expect(nobody.status).toBe(400);
    expect(alertOf(nobody.text)).toContain('No organization is named “Nobody Ltd”.');
  });

  it("lists the charges of a user's organizations on the account page", async () => {
    const user = await makeUser(t, t.admin, {
      email: 'ada@otter.example',
      password: PASSWORD,
      organizationId: memberOrg.id,
      role: 'member',
    });
    const outsider = await makeUser(t, t.admin, { email: 'bob@otter.example', password: PASSWORD });
    const b = new WebSession(t);
    expect((await b.login(user.email, PASSWORD)).headers.location).toBe('/account');
    const account = await b.get('/account');
    expect(account.status).toBe(200);
    const charges = /<table data-testid="charges">([\s\S]*?)<\/table>/.exec(account.text)?.[1] ?? '';
    expect(text(charges)).toContain('Nov 2026 Otter Works €199.00 due');
    // Only the user's organizations: the portal's charges are not there.
    expect(charges).not.toContain('Portal');
    const other = new WebSession(t);
    await other.login(outsider.email, PASSWORD);
    expect((await other.get('/account')).text).not.toContain('data-testid="charges"');
  });

  it('shows a bill the tenant may hold as unknown, and says what to do about it', async () => {
    // The first call makes the bill but its answer comes too late; the retry gets a 500.
    api.script('grp-1', 'hang', 500);
    const started = await admin.submit(`${AREA}/runs`, { period: '2027-02', confirm: 'yes' }, AREA);
    const runId = /\/console\/billing\/runs\/([0-9a-f-]{36})$/.exec(started.headers.location)![1];
    expect((await waitForRun(t, runId)).counts).toMatchObject({ unknown: 1, submitted: 0 });
    const detail = await admin.get(started.headers.location);
    expect(detail.text).toContain(`href="/console/billing/charges?runId=${runId}&amp;status=unknown"`);
    expect(text(detail.text)).toContain('the tenant may hold these bills');

    const list = await admin.get(`${AREA}/charges?runId=${runId}&status=unknown`);
    expect(list.status).toBe(200);
    expect(list.text.match(/data-testid="charge-row"/g)).toHaveLength(1);
    const [charge] = await chargesOf(t, t.admin, { period: '2027-02', status: 'unknown' });
    expect(charge).toMatchObject({ route: 'tenant', attempts: 2 });
    const page = text(list.text);
    expect(page).toContain(`unknown 2 Idempotency-Key ${charge.id}`);
    expect(page).toContain(
      "unknown means a call may have reached the tenant's billing API and no answer confirmed or refused the bill, so the tenant may hold it.",
    );
    expect(page).toMatch(/run the period again once the API answers: the same key is sent/);
    // Not among the failed ones (only the organization without a group uid is).
    const failed = await admin.get(`${AREA}/charges?runId=${runId}&status=failed`);
    expect(failed.text.match(/data-testid="charge-row"/g)).toHaveLength(1);
    expect(text(failed.text)).toContain('Portal without uid');
    expect(failed.text).not.toContain('unknown-help');
  });

  async function expectAudited(runId: string): Promise<void> {
    const events = (await t.http.get('/api/v1/audit-events').query({ action: 'billing.run.created' }).set('Authorization', t.admin)).body
      .items;
    expect(events.find((e: { target: { id: string } }) => e.target.id === runId)).toMatchObject({
      actor: { kind: 'platform-admin', label: ADMIN_EMAIL },
      details: { period: '2026-11', kind: 'manual', trigger: 'console' },
    });
  }
});
