import { realProblems } from '../support/web-session';
import { watchResponses } from '../support/api-checks';
import { chargesOf, outboxEvents, setBillingApi, waitForRun } from '../support/billing';
import { buildIntoTemp, startCli } from '../support/cli-build';
import { databaseKinds } from '../support/databases';
import { FakeBillingApi } from '../support/fake-billing-api';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

// More direct organizations than a run reads per page, so a kill leaves some without a charge.
const DIRECT_ORGS = 560;
const TENANT_ORGS = 40;

/**
 * `npm run billing` as an operator runs it (the compiled CLI in a child process, against the
 * database of a running app): killed with SIGKILL in the middle and started again, the period ends
 * up billed once per organization, with no gap and no bill made twice.
 */
let build: { dir: string; remove(): void };
// Compiled once for both databases.
beforeAll(async () => {
  build = await buildIntoTemp();
}, 300_000);
afterAll(() => build?.remove());

describe.each(databaseKinds())('billing command line (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let api: FakeBillingApi;
  let tenant: TenantFixture;
  const ids = { direct: [] as string[], tenant: [] as string[] };

  beforeAll(async () => {
    // The server beside the command line takes over no run by itself: these tests are about the
    // command line resuming its own (the servers' sweep is faults-billing's subject).
    [t, api] = await Promise.all([startTestApp(kind, { BILLING_SWEEP_MS: '0' }), new FakeBillingApi().start()]);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    await setBillingApi(t, tenant.key, api.setting);
    for (let i = 0; i < TENANT_ORGS; i++) {
      ids.tenant.push(
        (await makeOrganization(t, tenant.auth, { externalUid: `grp-${i}`, plan: { priceCents: 1000 + i, currency: 'EUR' } })).id,
      );
    }
    for (let i = 0; i < DIRECT_ORGS; i++) {
      ids.direct.push((await makeOrganization(t, t.admin, { plan: { priceCents: 2900, currency: 'EUR' } })).id);
    }
  }, 300_000);
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    DATABASE_URL: t.db.url,
    MIGRATE_ON_START: 'false',
    PORTICO_SECRET_KEY: t.config.secretKey,
    BILLING_CONCURRENCY: '2',
    BILLING_TIMEOUT_MS: '3000',
    ...extra,
  });

  it('refuses a malformed period and names the option', async () => {
    const cli = startCli(build, 'billing', ['--period', '2026-13'], env());
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('--period: period must be a month written YYYY-MM, such as 2026-11');
    const none = startCli(build, 'billing', [], env());
    expect(await none.exited).toBe(2);
    expect(none.stderr()).toContain('--period is required');
  });

  it('lists what would be billed on --dry-run and writes nothing', async () => {
    const cli = startCli(build, 'billing', ['--period', '2026-02', '--dry-run', '--limit', '3'], env());
    expect(await cli.exited).toBe(0);
    const out = cli.stdout();
    expect(out).toContain('Dry run for February 2026 (2026-02): nothing was written or sent.');
    expect(out).toMatch(/With a plan\s+600\n/);
    expect(out).toMatch(/Would be charged directly\s+560\n/);
    expect(out).toMatch(/Would be billed through the tenant\s+40\n/);
    expect(out).toContain(`(the first 3 of 600; --limit N lists more)`);
    expect(out).toMatch(/EUR\s+direct\s+560\s+EUR\s16,240\.00/);
    expect(await chargesOf(t, t.admin, { period: '2026-02' })).toEqual([]);
    expect((await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin).expect(200)).body.total).toBe(0);
    expect(api.requests).toHaveLength(0);
  });

  it('bills each organization once when a server run and the command line run the same period at once', async () => {
    api.delayMs = 40;
    const requests = api.requests.length;
    try {
      const cli = startCli(build, 'billing', ['--period', '2025-12'], env());
      await until(() => api.requests.length >= requests + 3 || cli.child.exitCode !== null, 60_000);
      const started = await t.http.post('/api/v1/billing/runs').set('Authorization', t.admin).send({ period: '2025-12' }).expect(201);
      expect(await cli.exited).toBe(0);
      expect((await waitForRun(t, started.body.id)).status).toBe('completed');
      const charges = await chargesOf(t, t.admin, { period: '2025-12' });
      expect(charges.map((c) => c.organizationId).sort()).toEqual([...ids.direct, ...ids.tenant].sort());
      const keys = charges.filter((c) => c.route === 'tenant').map((c) => c.id);
      expect(
        api.requests
          .slice(requests)
          .map((r) => r.key)
          .sort(),
      ).toEqual(keys.sort());
    } finally {
      api.delayMs = 0;
    }
  }, 120_000);

  it('killed with SIGKILL mid-run and started again, bills every organization exactly once', async () => {
    api.delayMs = 60;
    const requests = api.requests.length;
    try {
      const first = startCli(build, 'billing', ['--period', '2026-01'], env());
      // Kill it while it is sending tenant bills: some sent, some in flight, the rest not even recorded.
      await until(() => api.requests.length >= requests + 10 || first.child.exitCode !== null, 60_000);
      expect(first.child.exitCode).toBeNull();
      first.child.kill('SIGKILL');
      await first.exited;
      const runId = /Billing run ([0-9a-f-]{36}) for 2026-01/.exec(first.stderr())?.[1];
      expect(runId).toBeDefined();
      const before = await chargesOf(t, t.admin, { period: '2026-01' });
      expect(before.length).toBeLessThan(DIRECT_ORGS + TENANT_ORGS);
      expect(before.filter((c) => c.status === 'pending').length).toBeGreaterThan(0);

      const second = startCli(build, 'billing', ['--period', '2026-01'], env());
      expect(await second.exited).toBe(0);
      expect(second.stderr()).toContain(`Resuming billing run ${runId} for 2026-01 where it stopped.`);
      expect(second.stdout()).toContain(`Billing run ${runId} for January 2026 (2026-01): completed`);

      const runs = (await t.http.get('/api/v1/billing/runs').query({ period: '2026-01' }).set('Authorization', t.admin).expect(200)).body;
      expect(runs.items).toHaveLength(1);
      expect(runs.items[0]).toMatchObject({ id: runId, status: 'completed', trigger: 'cli', counts: { pending: 0, failed: 0 } });

      // No gap: every organization has its charge; no double: one each, one event each.
      const charges = await chargesOf(t, t.admin, { period: '2026-01' });
      expect(charges.map((c) => c.organizationId).sort()).toEqual([...ids.direct, ...ids.tenant].sort());
      expect(charges.filter((c) => c.route === 'direct').every((c) => c.status === 'open')).toBe(true);
      const tenantCharges = charges.filter((c) => c.route === 'tenant');
      expect(tenantCharges.every((c) => c.status === 'submitted')).toBe(true);
      // The tenant API made one bill per charge, under the charge's id, whatever was sent twice.
      const keys = new Set(tenantCharges.map((c) => c.id));
      expect([...api.bills.keys()].filter((k) => keys.has(k))).toHaveLength(TENANT_ORGS);
      expect(new Set(api.requests.slice(requests).map((r) => r.key))).toEqual(keys);
      for (const c of tenantCharges) expect(api.bills.get(c.id)!.id).toBe(c.externalBillId);
      // Sent again: only the bills whose answer was not written yet when it was killed — the two in
      // flight and those answered in the last quarter second (outcomes are written in batches).
      expect(api.requests.length - requests - TENANT_ORGS).toBeLessThanOrEqual(12);
      const created = (await outboxEvents(t, 'charge.created')).filter((e) => e.data.charge.period === '2026-01');
      expect(created.map((e) => e.data.charge.id).sort()).toEqual(charges.map((c) => c.id).sort());
    } finally {
      api.delayMs = 0;
    }
  }, 180_000);
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
