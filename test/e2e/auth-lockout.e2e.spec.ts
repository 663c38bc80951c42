import { totpCode } from '../../libs/auth/src/totp/totp';
import { auditEvents, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeUser } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, realProblems, WebSession } from '../support/web-session';

const PASSWORD = 'Granite-Heron-77-lake';
const WRONG = 'The email, username or password is not right.';
const LOCKED = /^Too many failed attempts\. Try again in \d+ seconds?\.$/;

/** Brute-force protection at /login and /login/authenticator, as an attacker would probe it. */
describe.each(databaseKinds())('sign-in lockout (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let ipCounter = 0;
  let userCounter = 0;
  const browser = (ip = `10.2.0.${++ipCounter}`) => new WebSession(t, ip);
  const newUser = (body: Record<string, unknown> = {}) =>
    makeUser(t, t.admin, { email: `lock-${++userCounter}@heron.example`, password: PASSWORD, ...body });
  const settings = (lockout: Record<string, number>) =>
    t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ lockout }).expect(200);

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => {
    t.clock.reset();
    expect(realProblems(problems.splice(0))).toEqual([]);
  });

  /** The wait the answer asks for, from its Retry-After header. */
  const retryAfter = (res: { headers: Record<string, string> }) => Number(res.headers['retry-after']);

  it('locks an account after the configured failures, refuses even the right password while locked, and lets it in after the wait', async () => {
    await settings({ maxPasswordFailures: 3, baseWaitSeconds: 1, maxWaitSeconds: 4 });
    const user = await newUser();
    const b = browser();
    for (let i = 0; i < 2; i++) {
      const res = await b.login(user.email, 'wrong-password-1');
      expect(res.status).toBe(401);
      expect(alertOf(res.text)).toBe(WRONG);
    }
    const third = await b.login(user.email, 'wrong-password-1');
    expect(third.status).toBe(429);
    expect(alertOf(third.text)).toMatch(LOCKED);
    expect(retryAfter(third)).toBe(1);
    // Locked: the right password from anywhere is refused too, and says so.
    const right = await browser().login(user.email, PASSWORD);
    expect(right.status).toBe(429);
    expect(alertOf(right.text)).toMatch(LOCKED);
    expect((await browser().get('/account')).status).toBe(303);

    // The lock expires on its own (the clock moves instead of the test waiting).
    t.clock.advance(retryAfter(right) * 1000 + 300);
    const after = browser();
    expect((await after.login(user.email, PASSWORD)).status).toBe(303);
    expect((await after.get('/account')).status).toBe(200);

    // Failures and lockouts are audited under the login that was tried.
    expect((await auditEvents(t, { action: 'auth.login.failed' })).filter((e) => e.details?.login === user.email)).toHaveLength(2);
    const locked = (await auditEvents(t, { action: 'auth.login.locked' })).filter((e) => e.details?.login === user.email);
    expect(locked.map((e) => e.details?.waitSeconds ?? null).sort()).toEqual([1, null]);
  });

  it('waits longer after each further lockout, up to the maximum', async () => {
    await settings({ maxPasswordFailures: 2, baseWaitSeconds: 1, maxWaitSeconds: 2 });
    const user = await newUser();
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const b = browser();
      expect((await b.login(user.email, 'wrong-password-1')).status).toBe(401);
      const locked = await b.login(user.email, 'wrong-password-1');
      expect(locked.status).toBe(429);
      waits.push(retryAfter(locked));
      t.clock.advance(retryAfter(locked) * 1000 + 300);
    }
    expect(waits).toEqual([1, 2, 2]);
  });

  it('counts an unknown account like a known one', async () => {
    await settings({ maxPasswordFailures: 2, baseWaitSeconds: 30, maxWaitSeconds: 60 });
    const b = browser();
    expect((await b.login('ghost@heron.example', 'wrong-password-1')).status).toBe(401);
    const locked = await b.login('ghost@heron.example', 'wrong-password-1');
    expect(locked.status).toBe(429);
    expect(alertOf(locked.text)).toMatch(LOCKED);
  });

  it('lets 50 simultaneous wrong passwords check no more than the limit, then refuses the right one', async () => {
    await settings({ maxPasswordFailures: 5, baseWaitSeconds: 30, maxWaitSeconds: 60 });
    const user = await newUser();
    const ip = '10.2.50.1';
    // Every attacker has a session and a token first, then all fire at once.
    const attackers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const b = browser(ip);
        return { b, csrf: await b.csrf() };
      }),
    );
    const answers = await Promise.all(
      attackers.map(({ b, csrf }) => b.postRaw('/login', { _csrf: csrf, login: user.email, password: 'wrong-password-1' })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);

    // The audit trail shows how many passwords were actually checked: each wrong one is either
    // `auth.login.failed` or the `auth.login.locked` that it triggered (with the wait it set).
    const failed = (await auditEvents(t, { action: 'auth.login.failed' })).filter((e) => e.details?.login === user.email);
    const lockedByCheck = (await auditEvents(t, { action: 'auth.login.locked' })).filter(
      (e) => e.details?.login === user.email && e.details?.waitSeconds,
    );
    expect(failed.length + lockedByCheck.length).toBeLessThanOrEqual(5);
    expect(lockedByCheck).toHaveLength(1);
    expect(failed.length).toBe(statuses.filter((s) => s === 401).length);

    const right = await browser().login(user.email, PASSWORD);
    expect(right.status).toBe(429);
    expect(alertOf(right.text)).toMatch(LOCKED);
  });

  it('stops one address spraying wrong passwords across many accounts', async () => {
    await settings({ maxPasswordFailures: 2, baseWaitSeconds: 30, maxWaitSeconds: 60 });
    // An address may fail five times as often as one account: 10 here.
    const ip = '10.2.60.1';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await browser(ip).login(`spray-${i}@heron.example`, 'wrong-password-1')).status);
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(statuses.slice(9)).toEqual([429, 429, 429]);
    // A real user from that address is stopped too; from another address they get in.
    const user = await newUser();
    expect((await browser(ip).login(user.email, PASSWORD)).status).toBe(429);
    expect((await browser().login(user.email, PASSWORD)).status).toBe(303);
  });

  it('gives the right password back its reservation: signing in does not count as a failure', async () => {
    await settings({ maxPasswordFailures: 2, baseWaitSeconds: 30, maxWaitSeconds: 60 });
    const user = await newUser();
    const ip = '10.2.70.1';
    for (let i = 0; i < 12; i++) expect((await browser(ip).login(user.email, PASSWORD)).status).toBe(303);
    // One wrong password after many right ones is one failure, not a lockout.
    expect((await browser(ip).login(user.email, 'wrong-password-1')).status).toBe(401);
  });

  describe('authenticator codes', () => {
    let secret: string;
    let user: { id: string; email: string };

    beforeAll(async () => {
      await settings({ maxPasswordFailures: 3, maxAuthenticatorFailures: 3, baseWaitSeconds: 30, maxWaitSeconds: 60 });
      user = await newUser();
      secret = await enroll(browser(), user.email);
    });

    /** A browser that got past the password and now faces the code prompt. */
    async function atCodePrompt(): Promise<WebSession> {
      const b = browser('10.2.80.1');
      const res = await b.login(user.email, PASSWORD);
      expect(res.headers.location).toBe('/login/authenticator');
      return b;
    }
    const code = async (b: WebSession, value: string) => b.submit('/login/authenticator', { code: value });

    it('keeps password failures and code failures on separate counters', async () => {
      // Two wrong codes, then two wrong passwords elsewhere: on one shared counter of 3 that would lock.
      const prompt = await atCodePrompt();
      for (let i = 0; i < 2; i++) {
        const res = await code(prompt, '000000');
        expect(res.status).toBe(401);
        expect(alertOf(res.text)).toMatch(/That code is not right/);
      }
      for (let i = 0; i < 2; i++) expect((await browser().login(user.email, 'wrong-password-1')).status).toBe(401);
      // ...and the other way round: the code prompt still takes the right code.
      const inside = await code(prompt, totpCode(secret, Date.now() + 30_000));
      expect(inside.status).toBe(303);
      expect(inside.headers.location).toBe('/account');
      expect((await prompt.get('/account')).status).toBe(200);
    });

    it('locks the code step after the configured wrong codes, without locking the password step', async () => {
      const prompt = await atCodePrompt();
      expect((await code(prompt, '000000')).status).toBe(401);
      expect((await code(prompt, '000001')).status).toBe(401);
      const locked = await code(prompt, '000002');
      expect(locked.status).toBe(429);
      expect(alertOf(locked.text)).toMatch(LOCKED);
      // The password still works (no password lockout) and leads to the code prompt, which stays locked.
      const again = await atCodePrompt();
      const stillLocked = await code(again, totpCode(secret));
      expect(stillLocked.status).toBe(429);
      expect((await again.get('/account')).status).toBe(303);
      const audited = (await auditEvents(t, { action: 'auth.authenticator.locked' })).filter((e) => e.target.id === user.id);
      expect(audited.length).toBeGreaterThan(0);
    });
  });

  /** Turns the authenticator on for a user through /account/authenticator; returns the secret. */
  async function enroll(b: WebSession, email: string): Promise<string> {
    expect((await b.login(email, PASSWORD)).status).toBe(303);
    const page = await b.get('/account/authenticator');
    const secret = /data-testid="totp-secret">([A-Z2-7]+)</.exec(page.text)![1];
    const res = await b.postRaw('/account/authenticator', { _csrf: csrfOf(page.text), action: 'enable', code: totpCode(secret) });
    expect(res.status).toBe(303);
    return secret;
  }
});
