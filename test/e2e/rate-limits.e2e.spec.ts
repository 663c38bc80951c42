import { RateLimits } from '@portico/core';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Response } from 'supertest';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startSecondInstance, startTestApp, TestApp } from '../support/test-app';
import { alertOf, decode, WebSession } from '../support/web-session';

const redisUrl = redisForTests('the rate-limit suite (shared counters, Redis outage)');
const describeWithRedis = redisUrl ? describe : describe.skip;
const METRICS_TOKEN = 'rate-limit-metrics-token-0123456789';

/** Lets the window of a refused request pass: its Retry-After, in real seconds (the limiter counts real time). */
const waitRetryAfter = (res: Response) => new Promise((resolve) => setTimeout(resolve, Number(res.headers['retry-after']) * 1000 + 50));

async function setLimit(t: TestApp, tenant: TenantFixture, rateLimit: { perSecond: number; burst: number } | null): Promise<void> {
  const res = await t.http.put(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).send({ rateLimit }).expect(200);
  expect(res.body.rateLimit).toEqual(rateLimit);
}

/** Calls until the first 429 (at most `max` calls); the answers in order. */
async function untilRefused(call: () => Promise<Response>, max: number): Promise<Response[]> {
  const answers: Response[] = [];
  for (let i = 0; i < max; i++) {
    const res = await call();
    answers.push(res);
    if (res.status === 429) break;
  }
  return answers;
}

describe.each(databaseKinds())('rate limits (%s)', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind, {
      RATE_LIMIT_ANONYMOUS_PER_SECOND: '2',
      RATE_LIMIT_ANONYMOUS_BURST: '0',
      RATE_LIMIT_CHECK_PER_SECOND: '20',
      // WebSession's X-Forwarded-For then gives each form-posting test an address of its own.
      TRUST_PROXY: 'loopback',
    });
  });
  afterAll(() => t?.close());

  it("refuses one tenant past its own limit with 429 and the RateLimit fields, while another tenant's calls pass", async () => {
    const [tight, other] = [await makeTenant(t), await makeTenant(t)];
    await setLimit(t, tight, { perSecond: 3, burst: 0 });

    const answers = await untilRefused(() => t.http.get('/api/v1/users').set('Authorization', tight.auth), 10);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0].headers['ratelimit-policy']).toBe('"tenant";q=3;w=1');
    expect(answers[0].headers['ratelimit']).toBe('"tenant";r=2;t=1');
    const refused = answers[3];
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['ratelimit']).toBe('"tenant";r=0;t=1');
    expect(refused.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/try again in 1 second/) });

    // The other tenant has the default (100 a second and 1000 more in 10 s) and is not slowed down.
    const fine = await t.http.get('/api/v1/users').set('Authorization', other.auth).expect(200);
    expect(fine.headers['ratelimit-policy']).toBe('"tenant";q=100;w=1, "tenant-burst";q=1000;w=10');
    // A platform admin's token is not limited.
    const admin = await t.http.get('/api/v1/users').query({ tenantKey: tight.key }).set('Authorization', t.admin).expect(200);
    expect(admin.headers['ratelimit']).toBeUndefined();

    await waitRetryAfter(refused);
    await t.http.get('/api/v1/users').set('Authorization', tight.auth).expect(200);
  });

  it("takes a tenant's burst allowance on top of its rate, and falls back to the default when the override is removed", async () => {
    const tenant = await makeTenant(t);
    await setLimit(t, tenant, { perSecond: 2, burst: 3 });
    const answers = await untilRefused(() => t.http.get('/api/v1/organizations').set('Authorization', tenant.auth), 10);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers[5].headers['ratelimit-policy']).toBe('"tenant";q=2;w=1, "tenant-burst";q=3;w=10');

    await setLimit(t, tenant, null);
    const settings = await t.http.get(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).expect(200);
    expect(settings.body.rateLimit).toBeNull();
    const after = await t.http.get('/api/v1/organizations').set('Authorization', tenant.auth).expect(200);
    expect(after.headers['ratelimit-policy']).toMatch(/^"tenant";q=100;w=1/);
  });

  it('refuses a rate limit that is not a positive rate', async () => {
    const tenant = await makeTenant(t);
    const res = await t.http
      .put(`/api/v1/tenants/${tenant.key}/settings`)
      .set('Authorization', t.admin)
      .send({ rateLimit: { perSecond: 0, burst: -1 } })
      .expect(400);
    expect(res.body.message).toMatch(/rateLimit\.perSecond must not be less than 1/);
    expect(res.body.message).toMatch(/rateLimit\.burst must not be less than 0/);
  });

  it("sets a tenant's own limit, and puts the default back, from the tenant's console page", async () => {
    const tenant = await makeTenant(t);
    const b = new WebSession(t, '10.66.0.1');
    const page = `/console/tenants/${tenant.key}`;
    expect((await b.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).status).toBe(303);
    const before = decode((await b.get(page)).text);
    expect(before).toContain('Global default: 100 a second, 1000 more in any 10 seconds');

    const saved = await b.submit(`${page}/rate-limit`, { rateMode: 'custom', perSecond: '7', burst: '20' }, page);
    expect(saved.status).toBe(303);
    const settings = await t.http.get(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).expect(200);
    expect(settings.body.rateLimit).toEqual({ perSecond: 7, burst: 20 });
    expect(decode((await b.get(page)).text)).toContain('API rate limit saved: 7 calls a second and 20 more in any 10 seconds.');

    const refused = await b.submit(`${page}/rate-limit`, { rateMode: 'custom', perSecond: 'lots', burst: '-1' }, page);
    expect(refused.status).toBe(400);
    expect(alertOf(refused.text)).toMatch(/Requests per second: must be an integer number/);
    expect(refused.text).toContain('value="lots"');

    expect((await b.submit(`${page}/rate-limit`, { rateMode: 'inherit' }, page)).status).toBe(303);
    const reset = await t.http.get(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).expect(200);
    expect(reset.body.rateLimit).toBeNull();
  });

  it('limits the anonymous doors per client address, each door on its own', async () => {
    const register = await untilRefused(() => t.http.post('/api/auth/register').send({ email: 'x@example.com', password: 'p' }), 10);
    expect(register.map((r) => r.status).slice(-1)).toEqual([429]);
    expect(register).toHaveLength(3);
    const refused = register[2];
    expect(refused.headers['ratelimit-policy']).toBe('"register";q=2;w=1');
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.statusCode).toBe(429);

    // Another door has its own count for the same address.
    const external = await t.http.post('/external-login').send({ username: 'nobody', password: 'wrong' });
    expect(external.status).not.toBe(429);
    expect(external.headers['ratelimit-policy']).toBe('"external-login";q=2;w=1');

    const autologin = await untilRefused(() => t.http.post('/api/auth/autologin').send({ login: 'a@example.com', token: 'nope' }), 10);
    expect(autologin.map((r) => r.status)).toEqual([400, 400, 429]);

    await waitRetryAfter(refused);
    const again = await t.http.post('/api/auth/register').send({ email: 'x@example.com', password: 'p' });
    expect(again.status).not.toBe(429);
  });

  it('answers a sign-in form posted too often with a page that says to wait', async () => {
    const b = new WebSession(t, '10.66.0.2');
    const csrf = await b.csrf('/login');
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 6 && !refused; i++) {
      const res = await b.postRaw('/login', { _csrf: csrf, login: '', password: '' });
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses.slice(0, 2).every((s) => s !== 429)).toBe(true);
    expect(refused).toBeDefined();
    expect(refused!.headers['content-type']).toMatch(/^text\/html/);
    expect(refused!.headers['retry-after']).toBe('1');
    expect(refused!.headers['ratelimit-policy']).toBe('"sign-in";q=2;w=1');
    expect(decode(refused!.text)).toContain('Too many requests: try again in 1 second');
  });

  it('gives the entitlement check its own, higher limit per address, answered with an empty 429', async () => {
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const res = await t.http.get('/entitlements/check?server=s;class=c;key=k');
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses.slice(0, 20).every((s) => s === 404)).toBe(true);
    expect(refused).toBeDefined();
    expect(refused!.headers['ratelimit-policy']).toBe('"check";q=20;w=1');
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused!.text).toBe('');
    await waitRetryAfter(refused!);
    await t.http.get('/entitlements/check?server=s;class=c;key=k').expect(404);
  });
});

/** A TCP relay in front of Redis that a test can cut, as a network partition would (connections refused meanwhile). */
class RedisRelay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  private silent = false;

  constructor(private readonly target: URL) {
    this.server = createServer((client) => {
      if (this.cutOff) return void client.destroy();
      const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      // Forwarded by hand, so that `silence` can swallow the commands while the connection stays up.
      client.on('data', (d: Buffer) => !this.silent && upstream.write(d));
      upstream.on('data', (d: Buffer) => client.write(d));
    });
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Redis up but answering nothing: commands go nowhere, the connections stay open. */
  silence(): void {
    this.silent = true;
  }

  restore(): void {
    this.cutOff = false;
    this.silent = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describeWithRedis.each(databaseKinds())('rate limits on Redis (%s)', (kind) => {
  const prefix = uniqueJobsPrefix();
  afterAll(() => dropJobsPrefix(redisUrl!, prefix));

  it('shares one count between two instances', async () => {
    const env = { REDIS_URL: redisUrl!, JOBS_PREFIX: prefix };
    const first = await startTestApp(kind, env);
    const second = await startSecondInstance(first, env);
    try {
      const tenant = await makeTenant(first);
      await setLimit(first, tenant, { perSecond: 4, burst: 0 });
      const call = (i: number) => (i % 2 ? second : first).http.get('/api/v1/users').set('Authorization', tenant.auth);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(i)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('lets requests through while Redis does not answer, says so once, and limits again when it is back', async () => {
    const relay = new RedisRelay(new URL(redisUrl!));
    await relay.listen();
    const t = await startTestApp(kind, { REDIS_URL: `redis://127.0.0.1:${relay.port}`, JOBS_PREFIX: prefix, METRICS_TOKEN });
    try {
      const tenant = await makeTenant(t);
      await setLimit(t, tenant, { perSecond: 2, burst: 0 });
      const limits = t.app.get(RateLimits);
      const warn = jest.spyOn((limits as unknown as { logger: { warn: (m: string) => void } }).logger, 'warn');

      relay.cut();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await t.http.get('/api/v1/users').set('Authorization', tenant.auth)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      expect(limits.failedOpen).toBeGreaterThanOrEqual(6);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/not enforced/);
      const scraped = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
      expect(Number(/^portico_rate_limit_fail_open_total (\d+)$/m.exec(scraped.text)?.[1])).toBeGreaterThanOrEqual(6);

      relay.restore();
      // The connection comes back on its own; then the limit holds again.
      let refused = false;
      for (let i = 0; i < 200 && !refused; i++) {
        refused = (await t.http.get('/api/v1/users').set('Authorization', tenant.auth)).status === 429;
        if (!refused) await new Promise((r) => setTimeout(r, 25));
      }
      expect(refused).toBe(true);
      const after = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
      expect(after.text).toMatch(/^portico_rate_limited_total\{door="tenant"\} [1-9]/m);

      // Up but silent: each count gives up after a moment and the request passes, never a 500.
      relay.silence();
      const quiet: number[] = [];
      for (let i = 0; i < 4; i++) quiet.push((await t.http.get('/api/v1/users').set('Authorization', tenant.auth)).status);
      expect(quiet).toEqual([200, 200, 200, 200]);
    } finally {
      relay.restore();
      await t.close();
      await relay.close();
    }
  });
});
