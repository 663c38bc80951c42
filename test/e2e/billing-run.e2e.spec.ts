import { BillingScheduler } from '../../libs/billing/src/schedule/billing-scheduler';
import { expectAudited, expectError, watchResponses } from '../support/api-checks';
import { ChargeBody, chargesOf, outboxEvents, runPeriod, setBillingApi, waitForRun } from '../support/billing';
import { databaseKinds } from '../support/databases';
import { FakeBillingApi } from '../support/fake-billing-api';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { realProblems } from '../support/web-session';

const EUR = (priceCents: number) => ({ priceCents, currency: 'EUR' });

/**
 * Billing runs over the API against a tenant billing API on 127.0.0.1: who is billed where, once,
 * what a retry sends, what a dry run writes (nothing), and who may see which charges.
 */
describe.each(databaseKinds())('billing runs (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let api: FakeBillingApi;
  let portal: TenantFixture;
  let plain: TenantFixture;
  // Organizations by role in the scenario.
  const org: Record<string, { id: string; name: string }> = {};

  beforeAll(async () => {
    api = await new FakeBillingApi().start();
    t = await startTestApp(kind, { BILLING_RETRY_DELAYS_MS: '20,40,80', BILLING_TIMEOUT_MS: '500', BILLING_CONCURRENCY: '4' });
    problems = watchResponses(t);
    portal = await makeTenant(t);
    plain = await makeTenant(t);
    await setBillingApi(t, portal.key, api.setting);
    org.portalA = await makeOrganization(t, portal.auth, { externalUid: 'grp-a', plan: EUR(4900) });
    org.portalB = await makeOrganization(t, portal.auth, { externalUid: 'grp-b', plan: EUR(9900) });
    org.portalC = await makeOrganization(t, portal.auth, { externalUid: 'grp-c', plan: { priceCents: 1500, currency: 'USD' } });
    org.portalNoUid = await makeOrganization(t, portal.auth, { plan: EUR(4900) });
    org.portalFree = await makeOrganization(t, portal.auth, { externalUid: 'grp-free' });
    org.plainA = await makeOrganization(t, plain.auth, { externalUid: 'plain-a', plan: EUR(2500) });
    org.plainB = await makeOrganization(t, plain.auth, { plan: EUR(2500) });
    org.directA = await makeOrganization(t, t.admin, { plan: EUR(19900) });
    org.directB = await makeOrganization(t, t.admin, { plan: { priceCents: 500, currency: 'JPY' } });
    org.directFree = await makeOrganization(t, t.admin, {});
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  const billed = ['portalA', 'portalB', 'portalC', 'portalNoUid', 'plainA', 'plainB', 'directA', 'directB'];
  const byOrg = (charges: ChargeBody[]) => new Map(charges.map((c) => [c.organizationId, c]));

  it('bills every organization with a plan once: tenant organizations through the tenant API, the others directly', async () => {
    const run = await runPeriod(t, '2026-03');
    expect(run).toMatchObject({
      period: '2026-03',
      kind: 'manual',
      trigger: 'api',
      status: 'completed',
      counts: { organizations: 8, alreadyBilled: 0, direct: 4, submitted: 3, failed: 1, pending: 0 },
    });
    expect(run.totals).toEqual([
      { currency: 'EUR', route: 'direct', count: 3, amountCents: 2500 + 2500 + 19900 },
      { currency: 'EUR', route: 'tenant', count: 2, amountCents: 4900 + 9900 },
      { currency: 'JPY', route: 'direct', count: 1, amountCents: 500 },
      { currency: 'USD', route: 'tenant', count: 1, amountCents: 1500 },
    ]);
    await expectAudited(t, 'billing.run.created', run.id, { period: '2026-03', kind: 'manual', trigger: 'api' });

    const charges = byOrg(await chargesOf(t, t.admin, { period: '2026-03' }));
    expect([...charges.keys()].sort()).toEqual(billed.map((k) => org[k].id).sort());
    for (const key of ['plainA', 'plainB', 'directA', 'directB']) {
      expect(charges.get(org[key].id)).toMatchObject({
        route: 'direct',
        status: 'open',
        attempts: 0,
        externalBillId: null,
        lastError: null,
      });
    }
    expect(charges.get(org.directA.id)).toMatchObject({ amountCents: 19900, currency: 'EUR', tenantKey: null, period: '2026-03' });
    for (const [key, group] of [
      ['portalA', 'grp-a'],
      ['portalB', 'grp-b'],
      ['portalC', 'grp-c'],
    ]) {
      const charge = charges.get(org[key].id)!;
      expect(charge).toMatchObject({
        route: 'tenant',
        status: 'submitted',
        attempts: 1,
        lastError: null,
        tenantKey: portal.key,
        runId: run.id,
      });
      const bills = api.billsFor(group);
      expect(bills).toEqual([{ key: charge.id, id: charge.externalBillId }]);
    }
    // The request as product.md §9 describes it.
    const sent = api.requestsFor('grp-b');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toEqual({
      key: charges.get(org.portalB.id)!.id,
      authorization: `Basic ${Buffer.from(`${api.username}:${api.password}`).toString('base64')}`,
      contentType: 'application/json',
      body: {
        group_id: 'grp-b',
        price_cents: 9900,
        currency: 'EUR',
        description: `${org.portalB.name}: monthly plan, March 2026`,
        period_started_at: '2026-03-01T00:00:00Z',
        period_ended_at: '2026-03-31T23:59:59Z',
      },
    });
    // A tenant organization without a group uid cannot be billed through the tenant: it fails, saying why.
    expect(charges.get(org.portalNoUid.id)).toMatchObject({ route: 'tenant', status: 'failed', attempts: 0 });
    expect(charges.get(org.portalNoUid.id)!.lastError).toMatch(/no externalUid.*group_id.*set it on the organization/);
    expect(api.requests).toHaveLength(3);

    const created = (await outboxEvents(t, 'charge.created')).filter((e) => e.data.charge.period === '2026-03');
    expect(created.map((e) => e.data.charge.organizationId).sort()).toEqual(
      ['portalA', 'portalB', 'portalC', 'plainA', 'plainB', 'directA', 'directB'].map((k) => org[k].id).sort(),
    );
    const portalEvent = created.find((e) => e.data.charge.organizationId === org.portalA.id)!;
    expect(portalEvent.tenantId).toBe(portal.id);
    expect(portalEvent.data.charge).toMatchObject({ tenantKey: portal.key, route: 'tenant', status: 'submitted', attempts: 1 });
    const failedEvents = (await outboxEvents(t, 'charge.failed')).filter((e) => e.data.charge.period === '2026-03');
    expect(failedEvents.map((e) => e.data.charge.organizationId)).toEqual([org.portalNoUid.id]);
  });

  it('bills nothing new when the period runs again', async () => {
    const before = await chargesOf(t, t.admin, { period: '2026-03' });
    const requests = api.requests.length;
    const again = await runPeriod(t, '2026-03');
    // The failed charge is tried again (still no externalUid, so it fails again, without a call).
    expect(again.counts).toEqual({ organizations: 8, alreadyBilled: 7, direct: 0, submitted: 0, failed: 1, pending: 0, unknown: 0 });
    expect(again.totals).toEqual([]);
    expect(api.requests.length).toBe(requests);
    const after = await chargesOf(t, t.admin, { period: '2026-03' });
    expect(after.map((c) => ({ ...c, runId: null, lastError: null }))).toEqual(
      before.map((c) => ({ ...c, runId: null, lastError: null, ...(c.status === 'failed' ? { updatedAt: expect.any(String) } : {}) })),
    );
  });

  it('sends a bill that failed again with the same key once the organization is fixed', async () => {
    const failed = (await chargesOf(t, t.admin, { period: '2026-03', status: 'failed' }))[0];
    await t.http
      .patch(`/api/v1/organizations/${org.portalNoUid.id}`)
      .set('Authorization', portal.auth)
      .send({ externalUid: 'grp-late' })
      .expect(200);
    const run = await runPeriod(t, '2026-03');
    expect(run.counts).toMatchObject({ submitted: 1, failed: 0, direct: 0 });
    expect(api.billsFor('grp-late')).toEqual([{ key: failed.id, id: expect.any(String) }]);
    expect((await chargesOf(t, t.admin, { organizationId: org.portalNoUid.id }))[0]).toMatchObject({
      id: failed.id,
      status: 'submitted',
      attempts: 1,
      lastError: null,
    });
  });

  it('retries a tenant API that answers 500, then 200: one bill, two tries recorded', async () => {
    api.script('grp-a', 500);
    const run = await runPeriod(t, '2026-04');
    expect(run.counts).toMatchObject({ submitted: 4, failed: 0 });
    const charge = byOrg(await chargesOf(t, t.admin, { period: '2026-04' })).get(org.portalA.id)!;
    expect(charge).toMatchObject({ status: 'submitted', attempts: 2, lastError: null });
    expect(
      api
        .requestsFor('grp-a')
        .filter((r) => r.body.period_started_at === '2026-04-01T00:00:00Z')
        .map((r) => r.key),
    ).toEqual([charge.id, charge.id]);
    expect(api.billsFor('grp-a').filter((b) => b.key === charge.id)).toHaveLength(1);
  });

  it('sends a bill whose answer timed out again with the same key, and it is billed once', async () => {
    api.script('grp-b', 'hang');
    const run = await runPeriod(t, '2026-05');
    expect(run.counts).toMatchObject({ submitted: 4, failed: 0 });
    const charge = byOrg(await chargesOf(t, t.admin, { period: '2026-05' })).get(org.portalB.id)!;
    expect(charge).toMatchObject({ status: 'submitted', attempts: 2 });
    const sent = api.requestsFor('grp-b').filter((r) => r.body.period_started_at === '2026-05-01T00:00:00Z');
    // The first request made the bill but its answer came too late; the second got the same bill back.
    expect(sent.map((r) => r.key)).toEqual([charge.id, charge.id]);
    expect(sent[0].body).toEqual(sent[1].body);
    const bills = api.billsFor('grp-b').filter((b) => b.key === charge.id);
    expect(bills).toEqual([{ key: charge.id, id: charge.externalBillId }]);
  });

  it('records a refused bill as failed, with the reason and a charge.failed event, and one that met only 500s as unknown', async () => {
    api.script('grp-c', 422);
    api.script('grp-a', 500, 500, 500, 500);
    api.script('grp-b', 'refuse');
    const run = await runPeriod(t, '2026-06');
    expect(run.counts).toMatchObject({ submitted: 1, failed: 2, unknown: 1, direct: 4, pending: 0 });
    const charges = byOrg(await chargesOf(t, t.admin, { period: '2026-06' }));
    expect(charges.get(org.portalC.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'The billing API answered 422: Scripted 422',
    });
    // A 500 may come after the bill was made: not provably refused, so not failed.
    expect(charges.get(org.portalA.id)).toMatchObject({
      status: 'unknown',
      attempts: 4,
      lastError: 'The billing API answered 500: Scripted 500 (gave up after 4 tries)',
    });
    expect(charges.get(org.portalB.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'The billing API refused the bill: Group is closed',
    });
    const failed = (await outboxEvents(t, 'charge.failed')).filter((e) => e.data.charge.period === '2026-06');
    expect(failed.map((e) => e.data.charge.organizationId).sort()).toEqual([org.portalB.id, org.portalC.id].sort());
    expect(failed.find((e) => e.data.charge.organizationId === org.portalC.id)!.data.charge).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'The billing API answered 422: Scripted 422',
    });

    // Run again once the API works: the same charges (same keys) are sent and billed, once.
    const again = await runPeriod(t, '2026-06');
    expect(again.counts).toMatchObject({ submitted: 3, failed: 0, unknown: 0, direct: 0 });
    for (const key of ['portalA', 'portalB', 'portalC']) {
      const charge = byOrg(await chargesOf(t, t.admin, { period: '2026-06' })).get(org[key].id)!;
      expect(charge.status).toBe('submitted');
      expect(api.bills.get(charge.id)?.id).toBe(charge.externalBillId);
      // Every call counted, over both runs.
      expect(charge.attempts).toBe(api.requests.filter((r) => r.key === charge.id).length);
    }
  });

  it('never records as failed a bill whose call timed out, though every later call got a 500; its tries are the calls made', async () => {
    // The first call makes the bill but answers too late; the three retries answer 500.
    api.script('grp-b', 'hang', 500, 500, 500);
    const run = await runPeriod(t, '2026-12');
    expect(run.counts).toMatchObject({ submitted: 3, failed: 0, unknown: 1, pending: 0 });
    const charge = byOrg(await chargesOf(t, t.admin, { period: '2026-12' })).get(org.portalB.id)!;
    const calls = () => api.requests.filter((r) => r.key === charge.id).length;
    expect(charge).toMatchObject({ status: 'unknown', route: 'tenant', attempts: 4 });
    expect(calls()).toBe(4);
    expect(charge.lastError).toBe('The billing API answered 500: Scripted 500 (gave up after 4 tries)');
    // The tenant does hold it: one bill, made by the call whose answer was lost.
    expect(api.billsFor('grp-b').filter((b) => b.key === charge.id)).toHaveLength(1);
    // The API lists it by its state, to the admin and to its tenant; no charge.failed was announced.
    expect((await chargesOf(t, t.admin, { period: '2026-12', status: 'unknown' })).map((c) => c.id)).toEqual([charge.id]);
    expect((await chargesOf(t, portal.auth, { status: 'unknown', period: '2026-12' })).map((c) => c.id)).toEqual([charge.id]);
    expect(await chargesOf(t, t.admin, { period: '2026-12', status: 'failed' })).toEqual([]);
    expect((await outboxEvents(t, 'charge.failed')).filter((e) => e.data.charge.id === charge.id)).toEqual([]);

    // Running the period again sends the same key: the tenant answers with the bill it made.
    const again = await runPeriod(t, '2026-12');
    expect(again.counts).toMatchObject({ submitted: 1, unknown: 0, failed: 0 });
    const settled = byOrg(await chargesOf(t, t.admin, { period: '2026-12' })).get(org.portalB.id)!;
    expect(settled).toMatchObject({ id: charge.id, status: 'submitted', attempts: 5, lastError: null });
    expect(calls()).toBe(5);
    expect(api.billsFor('grp-b').filter((b) => b.key === charge.id)).toEqual([{ key: charge.id, id: settled.externalBillId }]);
  });

  it('answers a dry run with what would be billed, and writes nothing', async () => {
    const runs = (await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin).expect(200)).body.total;
    const requests = api.requests.length;
    const events = (await outboxEvents(t, 'charge.created')).length;
    const res = await t.http
      .post('/api/v1/billing/runs')
      .set('Authorization', t.admin)
      .send({ period: '2026-07', dryRun: true })
      .expect(200);
    expect(res.body).toMatchObject({
      period: '2026-07',
      dryRun: true,
      counts: { organizations: 8, alreadyBilled: 0, direct: 4, tenant: 4, retry: 0, wouldFail: 0 },
      itemsTruncated: false,
    });
    expect(res.body.items).toHaveLength(8);
    expect(res.body.items.find((i: { organizationId: string }) => i.organizationId === org.portalA.id)).toEqual({
      organizationId: org.portalA.id,
      organizationName: org.portalA.name,
      tenantKey: portal.key,
      route: 'tenant',
      amountCents: 4900,
      currency: 'EUR',
      action: 'charge',
      problem: null,
    });
    expect(res.body.totals).toContainEqual({ currency: 'EUR', route: 'direct', count: 3, amountCents: 24900 });
    expect((await t.http.get('/api/v1/billing/runs').set('Authorization', t.admin).expect(200)).body.total).toBe(runs);
    expect(await chargesOf(t, t.admin, { period: '2026-07' })).toEqual([]);
    expect(api.requests.length).toBe(requests);
    expect((await outboxEvents(t, 'charge.created')).length).toBe(events);

    // A dry run of a billed period: nothing left to bill.
    const done = await t.http
      .post('/api/v1/billing/runs')
      .set('Authorization', t.admin)
      .send({ period: '2026-03', dryRun: true })
      .expect(200);
    expect(done.body.counts).toEqual({ organizations: 8, alreadyBilled: 8, direct: 0, tenant: 0, retry: 0, wouldFail: 0 });
    expect(done.body.items).toEqual([]);
  });

  it('bills each organization once when two runs of the same period go at once', async () => {
    api.delayMs = 30;
    const requests = api.requests.length;
    try {
      const started = await Promise.all(
        [1, 2, 3].map(() => t.http.post('/api/v1/billing/runs').set('Authorization', t.admin).send({ period: '2026-08' }).expect(201)),
      );
      const runs = await Promise.all(started.map((r) => waitForRun(t, r.body.id)));
      expect(runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
      const charges = await chargesOf(t, t.admin, { period: '2026-08' });
      expect(charges.map((c) => c.organizationId).sort()).toEqual(billed.map((k) => org[k].id).sort());
      expect(charges.every((c) => c.status === 'open' || c.status === 'submitted')).toBe(true);
      const tenantCharges = charges.filter((c) => c.route === 'tenant');
      expect(tenantCharges).toHaveLength(4);
      // One bill per charge, and one request: no run sent a bill another was sending.
      const sent = api.requests.slice(requests);
      expect(sent.map((r) => r.key).sort()).toEqual(tenantCharges.map((c) => c.id).sort());
      expect(runs.reduce((n, r) => n + r.counts.direct + r.counts.submitted, 0)).toBe(8);
    } finally {
      api.delayMs = 0;
    }
  });

  it('refuses a billing API on a private address unless allowed, without retrying', async () => {
    const locked = await makeTenant(t);
    // A private address written as such is refused when saved; a name that resolves to one, when called.
    const literal = { url: 'https://127.0.0.1:9/api', username: 'u', password: 'p', allowPrivateNetwork: false };
    await expect(setBillingApi(t, locked.key, literal)).rejects.toThrow(/400 .*billingApi\.url: Refused to connect to 127\.0\.0\.1/);
    await setBillingApi(t, locked.key, { ...literal, url: 'https://localhost:9/api' });
    const lockedOrg = await makeOrganization(t, locked.auth, { externalUid: 'grp-locked', plan: EUR(100) });
    await runPeriod(t, '2026-09');
    const charge = (await chargesOf(t, locked.auth, { period: '2026-09' }))[0];
    expect(charge).toMatchObject({ organizationId: lockedOrg.id, route: 'tenant', status: 'failed', attempts: 1 });
    expect(charge.lastError).toMatch(/^The billing API URL cannot be called: .*(private|loopback)/i);
  });

  it('starts the month’s scheduled run once, however often the schedule ticks', async () => {
    const scheduler = t.app.get(BillingScheduler);
    t.clock.freeze(new Date('2026-10-01T00:00:05Z'));
    try {
      await Promise.all([scheduler.tick(), scheduler.tick(), scheduler.tick()]);
      const runs = (await t.http.get('/api/v1/billing/runs').query({ period: '2026-10' }).set('Authorization', t.admin).expect(200)).body;
      expect(runs.items).toHaveLength(1);
      expect(runs.items[0]).toMatchObject({ kind: 'scheduled', trigger: 'schedule', requestedBy: 'billing schedule' });
      const run = await waitForRun(t, runs.items[0].id);
      // The organization of the tenant whose billing API is refused (previous test) fails again.
      expect(run.counts).toMatchObject({ organizations: 9, direct: 4, submitted: 4, failed: 1 });
      await expectAudited(t, 'billing.run.created', run.id, { period: '2026-10', kind: 'scheduled' });
      // Later in the month, and on the last second of it: still the one run.
      for (const at of ['2026-10-17T12:00:00Z', '2026-10-31T23:59:59Z']) {
        t.clock.freeze(new Date(at));
        await scheduler.tick();
      }
      expect((await t.http.get('/api/v1/billing/runs').query({ period: '2026-10' }).set('Authorization', t.admin)).body.total).toBe(1);
      // A manual run of a scheduled period is allowed (and bills nothing new).
      expect((await runPeriod(t, '2026-10')).counts).toMatchObject({ alreadyBilled: 8, direct: 0, submitted: 0, failed: 1 });
    } finally {
      t.clock.reset();
    }
  });

  it("stops calling a tenant's billing API that keeps failing, and fails the rest of its bills at once", async () => {
    const down = await new FakeBillingApi().start();
    down.failWith = 503;
    try {
      const tenant = await makeTenant(t);
      await setBillingApi(t, tenant.key, down.setting);
      for (let i = 0; i < 60; i++) await makeOrganization(t, tenant.auth, { externalUid: `down-${i}`, plan: EUR(100) });
      await runPeriod(t, '2026-11');
      const charges = await chargesOf(t, tenant.auth, { period: '2026-11' });
      expect(charges).toHaveLength(60);
      // A 503 may follow a bill made: those sent are unknown; those never sent failed.
      expect(charges.every((c) => c.status === (c.attempts ? 'unknown' : 'failed'))).toBe(true);
      const notSent = charges.filter((c) => c.attempts === 0);
      expect(notSent.length).toBeGreaterThan(0);
      expect(notSent[0].lastError).toMatch(
        /^Not sent: the tenant's billing API failed \d+ times in a row during this run \(The billing API answered 503: Down for maintenance\); run the period again once it answers$/,
      );
      // Without the cut-off every bill would have been tried 4 times.
      expect(down.requests.length).toBeLessThan(60 + 4 * 4);
    } finally {
      await down.close();
    }
  });

  it('records as failed a bill whose every call was refused before it was sent (nothing listens)', async () => {
    const closed = await makeTenant(t);
    const { url } = await new FakeBillingApi().start().then(async (gone) => {
      const at = gone.url;
      await gone.close();
      return { url: at };
    });
    await setBillingApi(t, closed.key, { url, username: 'u', password: 'p', allowPrivateNetwork: true });
    await makeOrganization(t, closed.auth, { externalUid: 'grp-closed', plan: EUR(100) });
    await runPeriod(t, '2027-01');
    const [charge] = await chargesOf(t, closed.auth, { period: '2027-01' });
    expect(charge).toMatchObject({ route: 'tenant', status: 'failed', attempts: 4 });
    expect(charge.lastError).toMatch(/could not be reached .*ECONNREFUSED.*gave up after 4 tries/);
    await setBillingApi(t, closed.key, null);
  });

  describe('API contract', () => {
    it('names the field when a run request is not valid', async () => {
      const post = (body: unknown) =>
        t.http
          .post('/api/v1/billing/runs')
          .set('Authorization', t.admin)
          .send(body as object);
      for (const period of ['2026-13', '2026-00', '26-11', '2026-1', '2026-11-01', '', 202611, null]) {
        expectError(await post({ period }), 400, /period must be a month written YYYY-MM, such as 2026-11/);
      }
      expectError(await post({}), 400, /period must be a month written YYYY-MM/);
      expectError(await post({ period: '2026-11', dryRun: 'yes' }), 400, /dryRun must be true or false/);
      expectError(await post({ period: '2026-11', dryRun: null }), 400, /dryRun must be true or false/);
      expectError(await post({ period: '2026-11', force: true }), 400, /property force should not exist/);
      const charges = (query: Record<string, string>) => t.http.get('/api/v1/billing/charges').query(query).set('Authorization', t.admin);
      expectError(await charges({ period: '2026-1' }), 400, /period must be a month written YYYY-MM/);
      expectError(await charges({ status: 'paid' }), 400, /status must be one of pending, submitted, open, failed/);
      expectError(await charges({ organizationId: 'acme' }), 400, /organizationId must be a UUID/);
      expectError(await charges({ limit: '501' }), 400, /limit/);
      expectError(await t.http.get('/api/v1/billing/runs/not-a-uuid').set('Authorization', t.admin), 400, /id must be a UUID/);
      expectError(
        await t.http.get('/api/v1/billing/runs/6f1f3b7e-1f7a-4c51-9a0e-8d1c2b3a4f50').set('Authorization', t.admin),
        404,
        /Billing run not found/,
      );
    });

    it('lets only platform admins run billing and read runs', async () => {
      expectError(await t.http.post('/api/v1/billing/runs').set('Authorization', portal.auth).send({ period: '2026-11' }), 403);
      expectError(await t.http.get('/api/v1/billing/runs').set('Authorization', portal.auth), 403);
      expectError(await t.http.post('/api/v1/billing/runs').send({ period: '2026-11' }), 401);
      expectError(await t.http.get('/api/v1/billing/charges'), 401);
      const list = await t.http
        .get('/api/v1/billing/runs')
        .query({ period: '2026-03', limit: '2' })
        .set('Authorization', t.admin)
        .expect(200);
      expect(list.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(list.body.items.map((r: { period: string }) => r.period)).toEqual(['2026-03', '2026-03']);
    });

    it("shows a tenant key only its own organizations' charges", async () => {
      const mine = await chargesOf(t, portal.auth, { period: '2026-03' });
      expect(mine.map((c) => c.organizationId).sort()).toEqual(
        ['portalA', 'portalB', 'portalC', 'portalNoUid'].map((k) => org[k].id).sort(),
      );
      expect(mine.every((c) => c.tenantKey === portal.key)).toBe(true);
      const theirs = await chargesOf(t, plain.auth, { period: '2026-03' });
      expect(theirs.map((c) => c.organizationId).sort()).toEqual([org.plainA.id, org.plainB.id].sort());
      // Naming another tenant's organization, or the other tenant, finds nothing / is refused.
      expect(await chargesOf(t, portal.auth, { organizationId: org.plainA.id })).toEqual([]);
      expect(await chargesOf(t, portal.auth, { organizationId: org.directA.id })).toEqual([]);
      expectError(await t.http.get('/api/v1/billing/charges').query({ tenantKey: plain.key }).set('Authorization', portal.auth), 403);
      // The admin filters by tenant, status, route and paginates.
      const page = await t.http
        .get('/api/v1/billing/charges')
        .query({ tenantKey: portal.key, period: '2026-03', limit: '2', offset: '1' })
        .set('Authorization', t.admin)
        .expect(200);
      expect(page.body).toMatchObject({ total: 4, limit: 2, offset: 1 });
      expect(page.body.items).toHaveLength(2);
      expect(await chargesOf(t, t.admin, { period: '2026-06', route: 'direct', status: 'open' })).toHaveLength(4);
      expect(await chargesOf(t, t.admin, { tenantKey: 'no-such-tenant' })).toEqual([]);
    });
  });
});
