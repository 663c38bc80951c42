import { auditEvents, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { check, expectRefused, makeClass, makeVirtual, readEntitlement, uniqueName } from '../support/entitlements';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { autologinJwt, rotateAutologinSecret } from '../support/portal';
import { startTestApp, TestApp } from '../support/test-app';
import { alertOf, realProblems, WebSession } from '../support/web-session';

const PASSWORD = 'Quarry-Lantern-58-fjord';
const LOCKED = /^Too many failed attempts\. Try again in \d+ seconds?\.$/;
const ONLY_ADMIN = 'Only a platform administrator may set allowPrivateNetwork';

/**
 * Issue 16, items 1, 2, 3 and 5, as an attacker would try them: a tenant key opening its webhooks
 * to Portico's own network, a client writing its own X-Forwarded-For behind one proxy
 * (TRUST_PROXY=1), guessing an account's password under its email and then its username, and
 * guessing autologin tokens.
 */
describe.each(databaseKinds())('hardening: security (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let n = 0;
  /** A browser whose requests arrive through the one trusted proxy; `forwarded` is the X-Forwarded-For the proxy passes on. */
  const browser = (forwarded: string) => new WebSession(t, forwarded);
  const lockout = (body: Record<string, number>) =>
    t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ lockout: body }).expect(200);

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: '1' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());
  // The one-time secrets of a webhook endpoint's POST are the only secrets an answer may carry.
  afterEach(() =>
    expect(
      realProblems(problems.splice(0)).filter((p) => !/^POST \/api\/v1\/webhooks\/endpoints → 201: answer contains "secret"$/.test(p)),
    ).toEqual([]),
  );

  describe('allowPrivateNetwork on webhook endpoints', () => {
    const base = '/api/v1/webhooks/endpoints';
    const body = (extra: Record<string, unknown> = {}) => ({
      url: 'https://hooks.example.com/portico',
      events: ['user.created'],
      ...extra,
    });

    it('is refused to a tenant key on create and update, naming the field', async () => {
      const created = await t.http
        .post(base)
        .set('Authorization', tenant.auth)
        .send(body({ url: 'http://127.0.0.1:3000/api/v1/users', allowPrivateNetwork: true }));
      expectError(created, 403, ONLY_ADMIN);
      expect((await t.http.get(base).set('Authorization', tenant.auth).expect(200)).body.total).toBe(0);

      const own = await t.http
        .post(base)
        .set('Authorization', tenant.auth)
        .send(body({ allowPrivateNetwork: false }))
        .expect(201);
      expect(own.body.allowPrivateNetwork).toBe(false);
      expectError(
        await t.http
          .put(`${base}/${own.body.id}`)
          .set('Authorization', tenant.auth)
          .send(body({ url: 'http://10.0.0.8/hook', allowPrivateNetwork: true })),
        403,
        ONLY_ADMIN,
      );
      const after = await t.http.get(`${base}/${own.body.id}`).set('Authorization', tenant.auth).expect(200);
      expect(after.body).toMatchObject({ url: 'https://hooks.example.com/portico', allowPrivateNetwork: false });
    });

    it('keeps the flag a platform admin set when the tenant updates its endpoint, and lets the tenant turn it off but not on again', async () => {
      const withoutFlag = body({ url: 'http://127.0.0.1:9/hook' });
      const local = { ...withoutFlag, allowPrivateNetwork: true, tenantKey: tenant.key };
      const set = await t.http.post(base).set('Authorization', t.admin).send(local).expect(201);
      const path = `${base}/${set.body.id}`;

      const kept = await t.http
        .put(path)
        .set('Authorization', tenant.auth)
        .send({ ...withoutFlag, events: ['user.created', 'user.deleted'] })
        .expect(200);
      expect(kept.body).toMatchObject({
        url: 'http://127.0.0.1:9/hook',
        allowPrivateNetwork: true,
        events: ['user.created', 'user.deleted'],
      });
      // Sending back what a GET shows changes nothing.
      await t.http
        .put(path)
        .set('Authorization', tenant.auth)
        .send({ ...withoutFlag, allowPrivateNetwork: true })
        .expect(200);

      const off = await t.http
        .put(path)
        .set('Authorization', tenant.auth)
        .send(body({ allowPrivateNetwork: false }))
        .expect(200);
      expect(off.body.allowPrivateNetwork).toBe(false);
      expectError(
        await t.http
          .put(path)
          .set('Authorization', tenant.auth)
          .send(body({ allowPrivateNetwork: true })),
        403,
        ONLY_ADMIN,
      );
      expect((await t.http.get(path).set('Authorization', t.admin).expect(200)).body.allowPrivateNetwork).toBe(false);
    });
  });

  describe('the client address behind TRUST_PROXY=1', () => {
    it('is the address the proxy saw for the per-IP sign-in throttle and the audit trail, whatever the client wrote to the left', async () => {
      await lockout({ maxPasswordFailures: 2, baseWaitSeconds: 30, maxWaitSeconds: 60 });
      const proxySaw = '10.77.0.1';
      // Every guess names another account and forges another address: only the address can stop them.
      const guess = (i: number) => browser(`198.51.100.${i}, ${proxySaw}`).login(`nobody-${i}@spray.example`, 'wrong-password-1');
      // Two failures per account, five accounts' worth per address: the tenth guess locks the address.
      for (let i = 1; i <= 9; i++) expect((await guess(i)).status).toBe(401);
      for (const i of [10, 11]) {
        const locked = await guess(i);
        expect(locked.status).toBe(429);
        expect(alertOf(locked.text)).toMatch(LOCKED);
      }
      // Another address behind the same proxy is not affected.
      expect((await browser('198.51.100.1, 10.77.0.2').login('nobody-12@spray.example', 'wrong-password-1')).status).toBe(401);

      const failed = (await auditEvents(t, { action: 'auth.login.failed' })).filter((e) => e.details?.login === 'nobody-3@spray.example');
      expect(failed.map((e) => (e as unknown as { ip: string }).ip)).toEqual([proxySaw]);
    });

    it('is the address the proxy saw for an entitlement server’s caller allow-list', async () => {
      const server = `${uniqueName('allow')}.example.com`;
      const cls = await makeClass(t, { server });
      const key = uniqueName('allow-key');
      await makeVirtual(t, tenant.auth, { key, classId: cls.id });
      await t.http
        .put(`/api/v1/entitlements/servers/${server}`)
        .set('Authorization', t.admin)
        .send({ allowedIps: ['192.0.2.5'] })
        .expect(200);
      readEntitlement(await check(t, `server=${server};key=${key}`, { 'x-forwarded-for': '192.0.2.5' }));
      // The client wrote the allowed address itself; the proxy saw another.
      expectRefused(await check(t, `server=${server};key=${key}`, { 'x-forwarded-for': '192.0.2.5, 203.0.113.9' }));
      // No header: the caller is the proxy itself.
      expectRefused(await check(t, `server=${server};key=${key}`));
    });
  });

  describe('lockout per account', () => {
    const external = (body: Record<string, unknown>) => t.http.post('/external-login').send(body).expect(200);

    beforeAll(async () => {
      await t.http.put('/api/v1/settings/external-login').set('Authorization', t.admin).send({ enabled: true, allowedIps: [] }).expect(200);
    });

    it('counts wrong passwords under the email and the username as one account: the right password through the username is refused while locked', async () => {
      await lockout({ maxPasswordFailures: 3, baseWaitSeconds: 60, maxWaitSeconds: 120 });
      const i = ++n;
      const user = await makeUser(t, t.admin, { email: `lock-${i}@quarry.example`, username: `quarry${i}`, password: PASSWORD });
      const ip = `10.78.${i}.1`;
      expect((await browser(ip).login(user.email, 'wrong-password-1')).status).toBe(401);
      expect((await browser(ip).login(`quarry${i}`, 'wrong-password-1')).status).toBe(401);
      const third = await browser(ip).login(user.email, 'wrong-password-1');
      expect(third.status).toBe(429);
      // Locked under either name, from another address too.
      for (const name of [`quarry${i}`, user.email.toUpperCase()]) {
        const right = await browser(`10.79.${i}.1`).login(name, PASSWORD);
        expect(right.status).toBe(429);
        expect(alertOf(right.text)).toMatch(LOCKED);
      }
      // An unknown name is counted by what was typed, and answers alike.
      const ghost = `ghost-${i}@quarry.example`;
      expect((await browser(ip).login(ghost, 'wrong-password-1')).status).toBe(401);
      expect((await browser(ip).login(ghost, 'wrong-password-1')).status).toBe(401);
      expect((await browser(ip).login(ghost, 'wrong-password-1')).status).toBe(429);
    });

    it('does the same on POST /external-login, where guesses and the sign-in page add up', async () => {
      await lockout({ maxPasswordFailures: 3, baseWaitSeconds: 60, maxWaitSeconds: 120 });
      const i = ++n;
      const site = await makeOrganization(t, tenant.auth);
      const user = await makeUser(t, tenant.auth, {
        email: `ext-${i}@quarry.example`,
        username: `extquarry${i}`,
        password: PASSWORD,
        organizationId: site.id,
      });
      const call = (username: string, password: string) => external({ site_id: site.siteId, username, password });
      expect((await call(user.email, 'wrong-password-1')).body).toEqual({ login_successful: false, reason: 'Invalid login' });
      expect((await call(`extquarry${i}`, 'wrong-password-1')).body).toEqual({ login_successful: false, reason: 'Invalid login' });
      expect((await browser(`10.80.${i}.1`).login(`extquarry${i}`, 'wrong-password-1', `/t/${tenant.key}/login`)).status).toBe(429);
      for (const name of [`extquarry${i}`, user.email]) {
        const right = await call(name, PASSWORD);
        expect(right.body).toEqual({ login_successful: false, reason: expect.stringMatching(LOCKED) });
      }
    });
  });

  describe('autologin', () => {
    const autologin = (forwarded: string, body: Record<string, unknown>) =>
      t.http
        .post('/api/auth/autologin')
        .set('X-Forwarded-For', forwarded)
        .send({ login: `auto-${++n}@quarry.example`, firstName: 'Ada', lastName: 'Quarry', ...body });

    it('pauses a tenant after ten wrong tokens with 429 and Retry-After; another tenant is unaffected', async () => {
      const a = await makeTenant(t);
      const b = await makeTenant(t);
      const secretA = await rotateAutologinSecret(t, a.key);
      const secretB = await rotateAutologinSecret(t, b.key);
      // Wrong tokens for tenant A from several addresses: a secret with its tenantKey, and JWTs signed with a guess.
      for (let i = 0; i < 10; i++) {
        const token = i % 2 ? `als_wrong-guess-${i}` : await autologinJwt(`als_wrong-guess-${i}`, a.key);
        expectError(await autologin(`10.81.0.${i}`, { token, ...(i % 2 ? { tenantKey: a.key } : {}) }), 401);
      }
      const paused = await autologin('10.81.1.1', { token: secretA, tenantKey: a.key });
      expectError(paused, 429, /^Too many wrong autologin tokens\. Try again in \d+ seconds?\.$/);
      expect(Number(paused.headers['retry-after'])).toBeGreaterThan(0);
      expectError(await autologin('10.81.1.1', { token: await autologinJwt(secretA, a.key) }), 429);

      expect((await autologin('10.81.0.1', { token: secretB, tenantKey: b.key })).status).toBe(200);
      expect((await autologin('10.81.0.1', { token: await autologinJwt(secretB, b.key) })).status).toBe(200);
      const refused = await auditEvents(t, { action: 'auth.autologin.refused' });
      expect(refused.filter((e) => e.details?.reason === 'throttled' && e.details?.tenantKey === a.key)).toHaveLength(2);
    });

    it('pauses an address that sends many wrong tokens naming no tenant, and only that address', async () => {
      const c = await makeTenant(t);
      const secretC = await rotateAutologinSecret(t, c.key);
      const from = '10.82.0.1';
      // Five times the per-tenant allowance per address, across tenants.
      for (let i = 0; i < 50; i++) expectError(await autologin(`203.0.113.${i}, ${from}`, { token: `als_sprayed-${i}` }), 401);
      const paused = await autologin(`203.0.113.99, ${from}`, { token: secretC });
      expectError(paused, 429);
      expect(Number(paused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await autologin('10.82.0.2', { token: secretC })).status).toBe(200);
    });
  });
});
