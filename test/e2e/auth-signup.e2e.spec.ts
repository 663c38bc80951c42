import { expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { alertOf, csrfOf, decode, realProblems, WebSession } from '../support/web-session';

const PASSWORD = 'Saffron-Walrus-58-cove';

/** The sign-up page and POST /api/auth/register: one flow, switched on and off globally and per tenant. */
describe.each(databaseKinds())('sign-up (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  let ipCounter = 0;
  let n = 0;
  const nextIp = () => `10.4.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;
  const browser = () => new WebSession(t, nextIp());
  const person = (extra: Record<string, string> = {}) => {
    const i = ++n;
    return {
      email: `sign-${i}@walrus.example`,
      firstName: 'Wally',
      lastName: `Walrus ${i}`,
      organizationName: `Walrus Works ${i}`,
      password: PASSWORD,
      ...extra,
    };
  };
  const form = (p: Record<string, string>) => ({ ...p, passwordConfirmation: p.password });
  const register = (body: unknown, auth?: string) => {
    const req = t.http.post('/api/auth/register').set('X-Forwarded-For', nextIp());
    return (auth ? req.set('Authorization', auth) : req).send(body as object);
  };
  const setGlobal = (signupEnabled: boolean) =>
    t.http.put('/api/v1/settings/authentication').set('Authorization', t.admin).send({ signupEnabled }).expect(200);
  const setTenant = (signupEnabled: boolean | null) =>
    t.http.put(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).send({ signupEnabled }).expect(200);

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  describe('while sign-up is off (the default)', () => {
    it('answers 404 to the page and to its form, globally and for a tenant', async () => {
      const b = browser();
      const csrf = await b.csrf();
      for (const path of ['/signup', `/t/${tenant.key}/signup`]) {
        const page = await b.get(path);
        expect(page.status).toBe(404);
        expect(page.text).not.toContain('name="organizationName"');
        const post = await b.postRaw(path, { _csrf: csrf, ...form(person()) });
        expect(post.status).toBe(404);
      }
      expect((await b.get('/t/no-such-tenant/signup')).status).toBe(404);
    });

    it('refuses the sign-up API without a tenant key (403) and creates nothing', async () => {
      const p = person();
      expectError(await register(p), 403, /Sign-up is disabled/);
      const found = await t.http.get('/api/v1/users').query({ email: p.email }).set('Authorization', t.admin).expect(200);
      expect(found.body.total).toBe(0);
    });

    it("registers into the tenant when the tenant's API key calls, and the user signs in on the tenant's page", async () => {
      const p = person();
      const res = await register(p, tenant.auth).expect(201);
      expect(res.body).toEqual({ userId: expect.any(String), organizationId: expect.any(String) });
      const user = await t.http.get(`/api/v1/users/${res.body.userId}`).set('Authorization', tenant.auth).expect(200);
      expect(user.body).toMatchObject({ email: p.email, firstName: 'Wally', tenantKey: tenant.key });
      const org = await t.http.get(`/api/v1/organizations/${res.body.organizationId}`).set('Authorization', tenant.auth).expect(200);
      expect(org.body.name).toBe(p.organizationName);
      const members = await t.http
        .get(`/api/v1/organizations/${res.body.organizationId}/members`)
        .set('Authorization', tenant.auth)
        .expect(200);
      expect(members.body.items).toEqual([expect.objectContaining({ userId: res.body.userId, role: 'owner' })]);
      const b = browser();
      expect((await b.login(p.email, PASSWORD, `/t/${tenant.key}/login`)).headers.location).toBe('/account');
      // Not on the direct page: the user belongs to the tenant.
      expect((await browser().login(p.email, PASSWORD)).status).toBe(401);
    });

    it('refuses a revoked or wrong tenant key with 401', async () => {
      expectError(await register(person(), 'Basic ' + Buffer.from('tk_nope:nope').toString('base64')), 401);
    });
  });

  describe('while sign-up is on', () => {
    beforeAll(async () => setGlobal(true));
    afterAll(async () => {
      await setGlobal(false);
      await setTenant(null);
    });

    it('creates the organization and its owner from the page, and signs the person in', async () => {
      const b = browser();
      const page = await b.get('/signup');
      expect(page.status).toBe(200);
      for (const f of ['email', 'firstName', 'lastName', 'organizationName', 'password', 'passwordConfirmation'])
        expect(page.text).toContain(`name="${f}"`);
      const p = person();
      const before = b.sessionCookie();
      const res = await b.submit('/signup', form(p));
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      expect(b.sessionCookie()).not.toBe(before);
      const account = await b.get('/account');
      expect(account.status).toBe(200);
      expect(account.text).toContain(`Welcome! Your organization ${p.organizationName} is ready.`);
      // The owner's organization links to the page where its owners manage members and invitations.
      expect(account.text).toMatch(new RegExp(`<td><a href="/account/organizations/[0-9a-f-]{36}">${p.organizationName}</a></td>`));
      expect(account.text).toMatch(/<td>owner<\/td>/);
      // And the password works from now on.
      await b.logout();
      expect((await browser().login(p.email, PASSWORD)).headers.location).toBe('/account');
    });

    it('registers through the API without a key', async () => {
      const p = person();
      const res = await register(p).expect(201);
      const user = await t.http.get(`/api/v1/users/${res.body.userId}`).set('Authorization', t.admin).expect(200);
      expect(user.body.tenantKey).toBeNull();
      expect((await browser().login(p.email, PASSWORD)).headers.location).toBe('/account');
    });

    it('answers 409 to an email that has an account, on the page and the API, and keeps nothing of the attempt', async () => {
      const p = person();
      await register(p).expect(201);
      const again = person({ email: p.email.toUpperCase() });
      expectError(await register(again), 409, /An account with this email already exists/);
      const b = browser();
      const page = await b.submit('/signup', form(person({ email: p.email })));
      expect(page.status).toBe(409);
      expect(alertOf(page.text)).toMatch(/An account with this email already exists/);
      // The organization of the refused attempt was rolled back: its name is still free.
      await register(person({ organizationName: again.organizationName })).expect(201);
    });

    it('answers 409 to a taken organization name without saying whose it is', async () => {
      const owner = person({ firstName: 'Secretia', lastName: 'Ownerly' });
      await register(owner).expect(201);
      const res = await register(person({ organizationName: owner.organizationName }));
      expectError(res, 409, /That organization name is already taken/);
      const b = browser();
      const page = await b.submit('/signup', form(person({ organizationName: owner.organizationName })));
      expect(page.status).toBe(409);
      for (const text of [JSON.stringify(res.body), page.text]) {
        expect(text).not.toContain(owner.email);
        expect(text).not.toContain('Secretia');
        expect(text).not.toContain('Ownerly');
      }
      // What the person typed is kept, except the passwords.
      expect(page.text).toContain(`value="${owner.organizationName}"`);
      expect(page.text).not.toContain(PASSWORD);
    });

    it('refuses common and short passwords with a clear 400, naming the field', async () => {
      expectError(await register(person({ password: 'password1' })), 400, /password is one of the most common passwords/);
      expectError(await register(person({ password: 'Sh0rt!' })), 400, /password must be at least 8 characters/);
      expectError(await register(person({ password: 'x'.repeat(257) })), 400, /password must be at most 256 characters/);
      const b = browser();
      const page = await b.submit('/signup', form(person({ password: 'qwertyuiop' })));
      expect(page.status).toBe(400);
      expect(decode(page.text)).toMatch(/password is one of the most common passwords; choose one that is harder to guess/);
      const mismatch = await b.submit('/signup', { ...person(), passwordConfirmation: 'Something-Else-99' });
      expect(mismatch.status).toBe(400);
      expect(alertOf(mismatch.text)).toMatch(/The two passwords do not match/);
      // 256 characters, spaces included, are kept whole: no truncation.
      const long = `${'correct horse '.repeat(18)}battery!`.slice(0, 256);
      const p = person({ password: long });
      await register(p).expect(201);
      expect((await browser().login(p.email, long)).headers.location).toBe('/account');
      expect((await browser().login(p.email, long.slice(0, 255))).status).toBe(401);
    });

    it('answers bad input on the API with a clear 400 or 413, never a 500', async () => {
      const cases: [unknown, RegExp][] = [
        [{}, /email/],
        [{ ...person(), email: 'not-an-email' }, /email must be a valid email address/],
        [{ ...person(), firstName: '' }, /firstName must be between 1 and 100 characters/],
        [{ ...person(), lastName: '   ' }, /lastName/],
        [{ ...person(), organizationName: 'x'.repeat(201) }, /organizationName/],
        [{ ...person(), email: ['a@walrus.example'] }, /email/],
        [{ ...person(), firstName: { $gt: '' } }, /firstName/],
        [{ ...person(), password: 12345678 }, /password must be a string/],
        [{ ...person(), isPlatformAdmin: true }, /property isPlatformAdmin should not exist/],
        [{ ...person(), tenantKey: tenant.key }, /property tenantKey should not exist/],
        [[person()], /./],
      ];
      for (const [body, message] of cases) expectError(await register(body), 400, message);
      expectError(await t.http.post('/api/auth/register').set('Content-Type', 'application/json').send('{"email": '), 400, /JSON/);
      expectError(await t.http.post('/api/auth/register').set('Content-Type', 'application/json').send('null'), 400);
      expectError(await register({ ...person(), firstName: 'x'.repeat(200 * 1024) }), 413);
      // Every field wrong at once: every field named.
      const all = await register({ email: 1, firstName: 2, lastName: 3, organizationName: 4, password: 5 });
      for (const f of ['email', 'firstName', 'lastName', 'organizationName', 'password'])
        expect(all.body.message).toMatch(new RegExp(`\\b${f}\\b`));
    });

    it('answers bad input on the page with the form and the problems, never a 500', async () => {
      const b = browser();
      const csrf = await b.csrf('/signup');
      const cases: Record<string, string | string[]>[] = [
        {},
        { ...form(person()), email: ['a@walrus.example', 'b@walrus.example'] },
        { ...form(person()), firstName: '' },
        { ...form(person()), organizationName: 'x'.repeat(5000) },
        { ...form(person()), password: [PASSWORD, PASSWORD], passwordConfirmation: [PASSWORD, PASSWORD] },
      ];
      for (const c of cases) {
        const res = await b.postRaw('/signup', { _csrf: csrf, ...c });
        expect(res.status).toBe(400);
        expect(res.text).toContain('name="organizationName"');
        expect(alertOf(res.text)).toBeTruthy();
      }
      expect((await b.postRaw('/signup', form(person()))).status).toBe(403);
      expect((await b.postRaw('/signup', { _csrf: csrf, ...form(person()), email: 'x'.repeat(200 * 1024) })).status).toBe(413);
    });

    it('follows the tenant override: off for the tenant while on globally, and back to inherit', async () => {
      expect((await browser().get(`/t/${tenant.key}/signup`)).status).toBe(200);
      await setTenant(false);
      const b = browser();
      expect((await b.get(`/t/${tenant.key}/signup`)).status).toBe(404);
      const csrf = await b.csrf();
      expect((await b.postRaw(`/t/${tenant.key}/signup`, { _csrf: csrf, ...form(person()) })).status).toBe(404);
      expect((await browser().get('/signup')).status).toBe(200);
      // The tenant's key still registers: a trusted caller, not the public page.
      await register(person(), tenant.auth).expect(201);
      await setTenant(null);
      expect((await browser().get(`/t/${tenant.key}/signup`)).status).toBe(200);
    });

    it("signs up into a tenant on the tenant's page", async () => {
      const b = browser();
      const page = await b.get(`/t/${tenant.key}/signup`);
      expect(page.text).toContain(`action="/t/${tenant.key}/signup"`);
      const p = person();
      expect((await b.submit(`/t/${tenant.key}/signup`, form(p))).headers.location).toBe('/account');
      const found = await t.http.get('/api/v1/users').query({ email: p.email }).set('Authorization', tenant.auth).expect(200);
      expect(found.body.total).toBe(1);
    });

    it('pauses one address after many sign-ups, with a clear 429; tenant keys are not limited', async () => {
      const ip = '10.4.200.1';
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++)
        statuses.push((await t.http.post('/api/auth/register').set('X-Forwarded-For', ip).send(person())).status);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(201));
      const res = await t.http.post('/api/auth/register').set('X-Forwarded-For', ip).send(person());
      expectError(res, 429, /Too many sign-ups from your network. Try again in \d+ seconds/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      const b = new WebSession(t, ip);
      const page = await b.submit('/signup', form(person()));
      expect(page.status).toBe(429);
      expect(Number(page.headers['retry-after'])).toBeGreaterThan(0);
      expect(alertOf(page.text)).toMatch(/Too many sign-ups/);
      await t.http.post('/api/auth/register').set('X-Forwarded-For', ip).set('Authorization', tenant.auth).send(person()).expect(201);
      // Other addresses are not affected.
      await register(person()).expect(201);
    });
  });

  describe('when a tenant turns sign-up on while it is off globally', () => {
    afterAll(async () => setTenant(null));

    it("opens only that tenant's page", async () => {
      await setTenant(true);
      expect((await browser().get(`/t/${tenant.key}/signup`)).status).toBe(200);
      expect((await browser().get('/signup')).status).toBe(404);
      expectError(await register(person()), 403);
      const b = browser();
      expect((await b.submit(`/t/${tenant.key}/signup`, form(person()))).status).toBe(303);
    });

    it('closes the page of a suspended tenant', async () => {
      const other = await makeTenant(t);
      await t.http.put(`/api/v1/tenants/${other.key}/settings`).set('Authorization', t.admin).send({ signupEnabled: true }).expect(200);
      expect((await browser().get(`/t/${other.key}/signup`)).status).toBe(200);
      await t.http.patch(`/api/v1/tenants/${other.key}`).set('Authorization', t.admin).send({ status: 'suspended' }).expect(200);
      expect((await browser().get(`/t/${other.key}/signup`)).status).toBe(404);
    });
  });

  it('puts the form values back safely escaped', async () => {
    await setGlobal(true);
    try {
      const b = browser();
      const csrf = await b.csrf('/signup');
      const res = await b.postRaw('/signup', { _csrf: csrf, ...form(person({ firstName: '"><script>alert(1)</script>', email: 'bad' })) });
      expect(res.status).toBe(400);
      expect(res.text).not.toContain('<script>alert(1)</script>');
      expect(csrfOf(res.text)).toBeTruthy();
    } finally {
      await setGlobal(false);
    }
  });
});
