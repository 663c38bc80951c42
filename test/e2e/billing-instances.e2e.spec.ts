import { BillingService } from '@portico/billing';
import { BillingScheduler } from '../../libs/billing/src/schedule/billing-scheduler';
import { watchResponses } from '../support/api-checks';
import { chargesOf, RunBody, setBillingApi, waitForRun } from '../support/billing';
import { databaseKinds } from '../support/databases';
import { FakeBillingApi } from '../support/fake-billing-api';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { startSecondInstance, startTestApp, TestApp } from '../support/test-app';
import { realProblems } from '../support/web-session';
import { redisForTests } from '../support/redis';

const ORGS_PER_ROUTE = 30;

/** Redis is what several instances share in production; CI must have it, elsewhere its absence is said out loud. */
function redisEnv(): Record<string, string> {
  const url = redisForTests('the billing instances test with Redis (running without)');
  return url ? { REDIS_URL: url } : {};
}

// Several instances need PostgreSQL (README): two SQLite servers in one test process would block
// each other's event loop on the file lock. SQLite with a second process is in billing-cli.
const kinds = databaseKinds().filter((k) => k === 'postgres');
if (!kinds.length) process.stderr.write('\n  [skipped] billing on two instances: set TEST_DATABASE_URL to run it\n');

/**
 * Two server instances on one PostgreSQL database (and one Redis): the monthly schedule starts one
 * run per period whichever instances tick, concurrent runs bill each organization once, and a run
 * given back by an instance that shuts down is finished by the other.
 */
describe.each(kinds.length ? kinds : ['postgres' as const])('billing on two instances (%s)', (kind) => {
  // Without PostgreSQL (and so without CI=true) this says so above and has nothing to run.
  if (!kinds.length) return void it('needs PostgreSQL', () => undefined);
  let one: TestApp;
  let two: TestApp;
  let problems: string[];
  let api: FakeBillingApi;
  let tenant: TenantFixture;
  const orgIds: string[] = [];
  const env = { ...redisEnv(), BILLING_CONCURRENCY: '2', BILLING_RETRY_DELAYS_MS: '20,40' };

  beforeAll(async () => {
    api = await new FakeBillingApi().start();
    api.delayMs = 15;
    one = await startTestApp(kind, env);
    two = await startSecondInstance(one, env);
    problems = [...watchResponses(one), ...watchResponses(two)];
    tenant = await makeTenant(one);
    await setBillingApi(one, tenant.key, api.setting);
    for (let i = 0; i < ORGS_PER_ROUTE; i++) {
      orgIds.push((await makeOrganization(one, tenant.auth, { externalUid: `grp-${i}`, plan: { priceCents: 990, currency: 'EUR' } })).id);
      orgIds.push((await makeOrganization(two, two.admin, { plan: { priceCents: 4900, currency: 'EUR' } })).id);
    }
  }, 120_000);
  afterAll(async () => {
    await two?.close();
    await one?.close();
    await api?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    one.clock.reset();
    expect(realProblems(problems.splice(0))).toEqual([]);
  });

  /** Every charge of the period: exactly one per organization, billed, and one tenant bill per tenant charge. */
  async function expectBilledOnce(period: string, requestsBefore: number): Promise<void> {
    const charges = await chargesOf(one, one.admin, { period });
    expect(charges.map((c) => c.organizationId).sort()).toEqual([...orgIds].sort());
    expect(charges.every((c) => c.status === (c.route === 'tenant' ? 'submitted' : 'open'))).toBe(true);
    const keys = charges.filter((c) => c.route === 'tenant').map((c) => c.id);
    expect(keys).toHaveLength(ORGS_PER_ROUTE);
    for (const key of keys) expect(api.bills.has(key)).toBe(true);
    expect(
      api.requests
        .slice(requestsBefore)
        .map((r) => r.key)
        .sort(),
    ).toEqual(keys.sort());
  }

  it('starts one scheduled run per period when both instances tick at once', async () => {
    const requests = api.requests.length;
    const firstOfMonth = new Date('2026-12-01T00:00:30Z');
    one.clock.freeze(firstOfMonth);
    await Promise.all([one, two, one, two].map((t) => t.app.get(BillingScheduler).tick()));
    const runs = (await one.http.get('/api/v1/billing/runs').query({ period: '2026-12' }).set('Authorization', one.admin).expect(200)).body;
    expect(runs.items).toHaveLength(1);
    expect(runs.items[0]).toMatchObject({ kind: 'scheduled', trigger: 'schedule', requestedBy: 'billing schedule' });
    expect((await waitForRun(one, runs.items[0].id)).status).toBe('completed');
    await expectBilledOnce('2026-12', requests);

    // The next tick, on either instance, in the same month: nothing new.
    await Promise.all([one, two].map((t) => t.app.get(BillingScheduler).tick()));
    expect((await one.http.get('/api/v1/billing/runs').query({ period: '2026-12' }).set('Authorization', one.admin)).body.total).toBe(1);
  });

  it('bills each organization once when both instances run the same period at once', async () => {
    const requests = api.requests.length;
    const started = await Promise.all(
      [one, two, one, two].map((t) =>
        t.http.post('/api/v1/billing/runs').set('Authorization', t.admin).send({ period: '2027-01' }).expect(201),
      ),
    );
    const runs: RunBody[] = await Promise.all(started.map((r, i) => waitForRun(i % 2 ? two : one, r.body.id)));
    expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(runs.reduce((n, r) => n + r.counts.direct + r.counts.submitted, 0)).toBe(2 * ORGS_PER_ROUTE);
    await expectBilledOnce('2027-01', requests);
  });

  it('finishes on the other instance a run that one gave back while shutting down', async () => {
    const requests = api.requests.length;
    api.delayMs = 100;
    // Its own job queue (on Redis the others would take its run): the run is executed where it is started.
    const third = await startSecondInstance(one, { ...env, JOBS_PREFIX: `billing-third-${process.pid}` });
    const started = await third.http.post('/api/v1/billing/runs').set('Authorization', third.admin).send({ period: '2027-02' }).expect(201);
    while (api.requests.length < requests + 3) await new Promise((r) => setTimeout(r, 10));
    await third.close();
    api.delayMs = 15;
    const given = (await one.http.get(`/api/v1/billing/runs/${started.body.id}`).set('Authorization', one.admin).expect(200)).body;
    expect(given.status).toBe('queued');
    expect(await two.app.get(BillingService).resumeStalled(true)).toBe(1);
    expect((await waitForRun(two, started.body.id)).status).toBe('completed');
    await expectBilledOnce('2027-02', requests);
  });
});
