import { auditEvents, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, type Form, realProblems, WebSession } from '../support/web-session';
import { Phone } from '../support/phone';

const PASSWORD = 'Copper-Lynx-93-meadow';

describe.each(databaseKinds())('authenticator app (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let ipCounter = 0;
  let userCounter = 0;
  const browser = () => new WebSession(t, `10.3.0.${++ipCounter}`);

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  const newUser = (auth = t.admin, body: Record<string, unknown> = {}) =>
    makeUser(t, auth, { email: `totp-${++userCounter}@lynx.example`, password: PASSWORD, ...body });

  /** Signs in and turns the authenticator on at /account/authenticator, as the person would. */
  async function enroll(email: string, page = '/login', password = PASSWORD): Promise<{ b: WebSession; phone: Phone }> {
    const b = browser();
    expect((await b.login(email, password, page)).status).toBe(303);
    const setup = await b.get('/account/authenticator');
    const phone = new Phone(/data-testid="totp-secret">([A-Z2-7]+)</.exec(setup.text)![1]);
    const res = await b.postRaw('/account/authenticator', { _csrf: csrfOf(setup.text), action: 'enable', code: await phone.code() });
    expect(res.status).toBe(303);
    return { b, phone };
  }

  it('shows a QR code and the secret, and turns on only with a current code', async () => {
    const user = await newUser();
    const b = browser();
    await b.login(user.email, PASSWORD);
    const account = await b.get('/account');
    expect(account.text).toMatch(/Authenticator app<\/dt>\s*<dd><span class="badge">off<\/span>/);
    const setup = await b.get('/account/authenticator');
    expect(setup.status).toBe(200);
    expect(setup.text).toMatch(/<img class="qr" src="data:image\/png;base64,[A-Za-z0-9+/]{200,}(=|&#x3D;)*"/);
    const secret = /data-testid="totp-secret">([A-Z2-7]{32})</.exec(setup.text)![1];
    // Reloading keeps the same secret: a QR code already scanned stays valid.
    expect((await b.get('/account/authenticator')).text).toContain(secret);

    const phone = new Phone(secret);
    const wrong = await b.submit('/account/authenticator', { action: 'enable', code: '123456' });
    expect(wrong.status).toBe(400);
    expect(alertOf(wrong.text)).toMatch(/That code does not match/);
    expect(wrong.text).toContain(secret);
    const res = await b.submit('/account/authenticator', { action: 'enable', code: await phone.code() });
    expect(res.status).toBe(303);
    // The recovery codes come first, shown once.
    expect(res.headers.location).toBe('/account/authenticator/recovery-codes');
    expect((await b.get(res.headers.location)).text).toContain('Your authenticator app is on.');
    const after = await b.get('/account');
    expect(after.text).toMatch(/<span class="badge ok">on<\/span>/);
    // The API says so; the secret is nowhere in it.
    const api = await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', t.admin).expect(200);
    expect(api.body.authenticatorEnabled).toBe(true);
    expect(JSON.stringify(api.body)).not.toContain(secret);
    expect((await auditEvents(t, { action: 'user.authenticator.enabled' })).some((e) => e.target.id === user.id)).toBe(true);
  });

  it('asks for the code after the password, and signs in only with it', async () => {
    const user = await newUser();
    const { phone } = await enroll(user.email);
    const b = browser();
    const first = await b.login(user.email, PASSWORD);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/login/authenticator');
    // The password alone is not a session.
    expect((await b.get('/account')).status).toBe(303);
    const prompt = await b.get('/login/authenticator');
    expect(prompt.status).toBe(200);
    expect(prompt.text).toContain('Enter your authenticator code');

    const wrong = await b.submit('/login/authenticator', { code: '000000' });
    expect(wrong.status).toBe(401);
    expect(alertOf(wrong.text)).toMatch(/That code is not right, or it was already used/);
    const sidBefore = b.sessionCookie();
    const right = await b.submit('/login/authenticator', { code: await phone.code() });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/account');
    expect(b.sessionCookie()).not.toBe(sidBefore);
    expect((await b.get('/account')).status).toBe(200);
    const signedIn = (await auditEvents(t, { action: 'auth.login.succeeded' })).filter((e) => e.target.id === user.id);
    expect(signedIn.some((e) => e.details?.authenticator === true)).toBe(true);
  });

  it('never accepts the same code twice', async () => {
    const user = await newUser();
    const { phone } = await enroll(user.email);
    const first = browser();
    await first.login(user.email, PASSWORD);
    expect((await first.submit('/login/authenticator', { code: await phone.code() })).status).toBe(303);
    // Someone who saw that code (over a shoulder, in a phishing proxy) tries it right away.
    const second = browser();
    await second.login(user.email, PASSWORD);
    const replay = await second.submit('/login/authenticator', { code: phone.last() });
    expect(replay.status).toBe(401);
    expect(alertOf(replay.text)).toMatch(/already used/);
    expect((await second.get('/account')).status).toBe(303);
    // The enrolment code cannot be replayed either: it was the step before.
    expect((await second.submit('/login/authenticator', { code: await phone.code() })).status).toBe(303);
  });

  it('accepts one of two racing requests with the same code, not both', async () => {
    const user = await newUser();
    const { phone } = await enroll(user.email);
    const racers = [browser(), browser(), browser(), browser()];
    for (const r of racers) await r.login(user.email, PASSWORD);
    const tokens = await Promise.all(racers.map((r) => r.csrf('/login/authenticator')));
    const code = await phone.code();
    const answers = await Promise.all(racers.map((r, i) => r.postRaw('/login/authenticator', { _csrf: tokens[i], code })));
    expect(answers.map((a) => a.status).sort()).toEqual([303, 401, 401, 401]);
  });

  it('sends the code step back to the sign-in page when there was no password first', async () => {
    const b = browser();
    const page = await b.get('/login/authenticator');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login');
    const csrf = await b.csrf();
    const post = await b.postRaw('/login/authenticator', { _csrf: csrf, code: '123456' });
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe('/login');
  });

  it('answers bad input on the code forms with a clear 400', async () => {
    const user = await newUser();
    const { b: signedIn } = await enroll(user.email);
    const b = browser();
    await b.login(user.email, PASSWORD);
    const csrf = await b.csrf('/login/authenticator');
    const cases: [Form, RegExp][] = [
      [{}, /code is required/],
      [{ code: ['123456', '654321'] }, /code must be text/],
      [{ code: '1'.repeat(5000) }, /code must be at most 20/],
    ];
    for (const [form, message] of cases) {
      const res = await b.postRaw('/login/authenticator', { _csrf: csrf, ...form });
      expect(res.status).toBe(400);
      expect(res.text).toMatch(message);
    }
    // Codes that are text but no code: the usual refusal.
    for (const code of ['abcdef', '12345', '١٢٣٤٥٦'])
      expect((await b.postRaw('/login/authenticator', { _csrf: csrf, code })).status).toBe(401);

    const accountCsrf = await signedIn.csrf('/account/authenticator');
    const forms: Form[] = [
      { action: 'disable' },
      { action: 'disable', code: ['1', '2'] },
      { action: ['enable', 'disable'], code: '123456' },
    ];
    for (const form of forms) {
      expect((await signedIn.postRaw('/account/authenticator', { _csrf: accountCsrf, ...form })).status).toBe(400);
    }
    // An unknown action changes nothing.
    const odd = await signedIn.postRaw('/account/authenticator', { _csrf: accountCsrf, action: 'explode', code: '123456' });
    expect(odd.status).toBe(303);
    expect((await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', t.admin)).body.authenticatorEnabled).toBe(true);
  });

  it('turns off only with a current code', async () => {
    const user = await newUser();
    const { b, phone } = await enroll(user.email);
    const page = await b.get('/account/authenticator');
    expect(page.text).toContain('Turn off the authenticator');
    expect(page.text).not.toContain('data-testid="totp-secret"');
    const wrong = await b.submit('/account/authenticator', { action: 'disable', code: '000000' });
    expect(wrong.status).toBe(401);
    expect(alertOf(wrong.text)).toMatch(/not right/);
    const off = await b.submit('/account/authenticator', { action: 'disable', code: await phone.code() });
    expect(off.status).toBe(303);
    expect((await b.get('/account')).text).toContain('Your authenticator app is off.');
    const again = browser();
    expect((await again.login(user.email, PASSWORD)).headers.location).toBe('/account');
    expect((await auditEvents(t, { action: 'user.authenticator.disabled' })).some((e) => e.target.id === user.id)).toBe(true);
  });

  it('needs the second step on the console sign-in too', async () => {
    const { phone } = await enroll(ADMIN_EMAIL, '/login', ADMIN_PASSWORD);
    const b = browser();
    const res = await b.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(res.headers.location).toBe('/login/authenticator');
    expect((await b.get('/console')).status).toBe(303);
    const done = await b.submit('/login/authenticator', { code: await phone.code() });
    expect(done.headers.location).toBe('/console');
    expect((await b.get('/console')).status).toBe(200);
    const admin = (await t.http.get('/api/v1/users').query({ email: ADMIN_EMAIL }).set('Authorization', t.admin).expect(200)).body.items[0];
    await t.http.delete(`/api/v1/users/${admin.id}/authenticator`).set('Authorization', t.admin).expect(204);
  });

  describe('admin reset (DELETE /api/v1/users/{id}/authenticator)', () => {
    let mine: TenantFixture;
    let theirs: TenantFixture;
    beforeAll(async () => {
      mine = await makeTenant(t);
      theirs = await makeTenant(t);
    });

    it("lets the user's tenant remove the authenticator; the user then signs in with the password alone", async () => {
      const user = await newUser(mine.auth);
      await enroll(user.email, `/t/${mine.key}/login`);
      // Another tenant cannot even tell the user exists.
      expectError(await t.http.delete(`/api/v1/users/${user.id}/authenticator`).set('Authorization', theirs.auth), 404);
      expect((await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', mine.auth)).body.authenticatorEnabled).toBe(true);

      await t.http.delete(`/api/v1/users/${user.id}/authenticator`).set('Authorization', mine.auth).expect(204);
      expect((await t.http.get(`/api/v1/users/${user.id}`).set('Authorization', mine.auth)).body.authenticatorEnabled).toBe(false);
      const b = browser();
      expect((await b.login(user.email, PASSWORD, `/t/${mine.key}/login`)).headers.location).toBe('/account');
      const reset = (await auditEvents(t, { action: 'user.authenticator.reset' })).filter((e) => e.target.id === user.id);
      expect(reset).toHaveLength(1);
      expect(reset[0].tenantKey).toBe(mine.key);
      // Again: nothing to remove, still fine.
      await t.http.delete(`/api/v1/users/${user.id}/authenticator`).set('Authorization', t.admin).expect(204);
    });

    it('answers 401 without credentials, 404 for an unknown user and 400 for a malformed id', async () => {
      const user = await newUser(mine.auth);
      expectError(await t.http.delete(`/api/v1/users/${user.id}/authenticator`), 401);
      expectError(
        await t.http.delete('/api/v1/users/9b2f7c3e-0000-4000-8000-000000000000/authenticator').set('Authorization', t.admin),
        404,
      );
      expectError(await t.http.delete('/api/v1/users/not-a-uuid/authenticator').set('Authorization', t.admin), 400);
      // A tenant key cannot reach direct users or platform admins either.
      const direct = await newUser();
      const admin = (await t.http.get('/api/v1/users').query({ email: ADMIN_EMAIL }).set('Authorization', t.admin).expect(200)).body
        .items[0];
      for (const id of [direct.id, admin.id])
        expectError(await t.http.delete(`/api/v1/users/${id}/authenticator`).set('Authorization', mine.auth), 404);
    });
  });
});
