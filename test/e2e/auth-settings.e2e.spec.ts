import { auditEvents, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { realProblems } from '../support/web-session';

const DEFAULTS = {
  methods: { password: true, saml: false, ldap: false, external: false, oidc: false },
  signupEnabled: false,
  lockout: { maxPasswordFailures: 5, maxAuthenticatorFailures: 5, baseWaitSeconds: 30, maxWaitSeconds: 900 },
};

/** Global Configuration › Authentication and the tenants' overrides, through the API. */
describe.each(databaseKinds())('authentication settings API (%s)', (kind) => {
  let t: TestApp;
  let problems: string[];
  let tenant: TenantFixture;
  const put = (body: unknown) =>
    t.http
      .put('/api/v1/settings/authentication')
      .set('Authorization', t.admin)
      .send(body as object);
  const get = () => t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200);
  const putTenant = (body: unknown, key = tenant.key) =>
    t.http
      .put(`/api/v1/tenants/${key}/settings`)
      .set('Authorization', t.admin)
      .send(body as object);
  const getTenant = (key = tenant.key) => t.http.get(`/api/v1/tenants/${key}/settings`).set('Authorization', t.admin);

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('starts with the documented defaults', async () => {
    expect((await get()).body).toMatchObject({ ...DEFAULTS, sessionIdleMinutes: expect.any(Number) });
  });

  it('changes only the fields sent, and audits the change', async () => {
    const res = await put({ lockout: { maxPasswordFailures: 7 } }).expect(200);
    expect(res.body.lockout).toEqual({ ...DEFAULTS.lockout, maxPasswordFailures: 7 });
    expect(res.body.methods).toEqual(DEFAULTS.methods);
    expect((await get()).body.lockout.maxPasswordFailures).toBe(7);
    await put({
      signupEnabled: true,
      sessionIdleMinutes: 45,
      methods: { password: true, saml: true, ldap: false, external: false },
    }).expect(200);
    expect((await get()).body).toMatchObject({
      signupEnabled: true,
      sessionIdleMinutes: 45,
      methods: { saml: true },
      lockout: { maxPasswordFailures: 7 },
    });
    const audited = await auditEvents(t, { action: 'settings.authentication.updated' });
    expect(audited.length).toBeGreaterThanOrEqual(2);
    await put({ ...DEFAULTS, sessionIdleMinutes: 30 }).expect(200);
  });

  it('refuses invalid settings with a 400 naming the field, and keeps the old ones', async () => {
    const cases: [unknown, RegExp][] = [
      [{ lockout: { baseWaitSeconds: 600, maxWaitSeconds: 60 } }, /baseWaitSeconds must not exceed lockout\.maxWaitSeconds/],
      [{ lockout: { baseWaitSeconds: 1000 } }, /baseWaitSeconds must not exceed/],
      [{ lockout: { maxPasswordFailures: 0 } }, /maxPasswordFailures/],
      [{ lockout: { maxPasswordFailures: 101 } }, /maxPasswordFailures/],
      [{ lockout: { maxAuthenticatorFailures: 2.5 } }, /maxAuthenticatorFailures/],
      [{ lockout: { maxPasswordFailures: '5' } }, /maxPasswordFailures/],
      [{ lockout: { baseWaitSeconds: -1 } }, /baseWaitSeconds/],
      [{ lockout: 'strict' }, /lockout/],
      [{ lockout: { attempts: 3 } }, /attempts should not exist/],
      [{ methods: { password: false } }, /saml/],
      [{ methods: { password: 'no', saml: false, ldap: false, external: false } }, /password must be a boolean/],
      [{ methods: { password: true, saml: false, ldap: false, external: false, kerberos: true } }, /kerberos should not exist/],
      [{ signupEnabled: 'yes' }, /signupEnabled/],
      [{ signupEnabled: null }, /signupEnabled must be a boolean/],
      [{ sessionIdleMinutes: null }, /sessionIdleMinutes/],
      [{ lockout: { maxPasswordFailures: null } }, /lockout\.maxPasswordFailures/],
      [{ lockout: null }, /lockout/],
      [{ methods: null }, /methods/],
      [{ sessionIdleMinutes: 1 }, /sessionIdleMinutes/],
      [{ sessionIdleMinutes: 100000 }, /sessionIdleMinutes/],
      [{ colour: 'blue' }, /property colour should not exist/],
      [[], /./],
    ];
    for (const [body, message] of cases) expectError(await put(body), 400, message);
    expectError(
      await t.http
        .put('/api/v1/settings/authentication')
        .set('Authorization', t.admin)
        .set('Content-Type', 'application/json')
        .send('{"lockout": '),
      400,
      /JSON/,
    );
    expect((await get()).body).toMatchObject(DEFAULTS);
  });

  it('is for platform admins only', async () => {
    expectError(await t.http.get('/api/v1/settings/authentication'), 401);
    expectError(await t.http.put('/api/v1/settings/authentication').send({ signupEnabled: true }), 401);
    expectError(await t.http.get('/api/v1/settings/authentication').set('Authorization', tenant.auth), 403);
    expectError(await t.http.put('/api/v1/settings/authentication').set('Authorization', tenant.auth).send({ signupEnabled: true }), 403);
    expectError(await getTenant().set('Authorization', tenant.auth), 403);
    expectError(
      await t.http.put(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', tenant.auth).send({ signupEnabled: true }),
      403,
    );
    expect((await get()).body.signupEnabled).toBe(false);
  });

  describe('tenant overrides', () => {
    it('inherit everything at first (null), showing what applies', async () => {
      const res = await getTenant().expect(200);
      expect(res.body).toEqual({
        signupEnabled: null,
        methods: null,
        emailVerification: null,
        effective: expect.objectContaining({ signupEnabled: false, methods: DEFAULTS.methods, emailVerification: 'off' }),
        embedOrigins: [],
        billingApi: null,
        dataSharingUrl: null,
        rateLimit: null,
      });
    });

    it('override signup and methods, and go back to inherit with null', async () => {
      const methods = { password: false, saml: true, ldap: false, external: false };
      const set = await putTenant({ signupEnabled: true, methods }).expect(200);
      expect(set.body).toMatchObject({ signupEnabled: true, methods, effective: { signupEnabled: true, methods } });
      // The global settings move underneath; the override holds, the rest follows.
      await put({ signupEnabled: false, lockout: { maxPasswordFailures: 9 } }).expect(200);
      expect((await getTenant().expect(200)).body.effective).toMatchObject({
        signupEnabled: true,
        methods,
        lockout: { maxPasswordFailures: 9 },
      });
      // Changing one field leaves the other alone.
      expect((await putTenant({ signupEnabled: false }).expect(200)).body).toMatchObject({ signupEnabled: false, methods });
      const back = await putTenant({ signupEnabled: null, methods: null }).expect(200);
      expect(back.body).toMatchObject({
        signupEnabled: null,
        methods: null,
        effective: { signupEnabled: false, methods: DEFAULTS.methods },
      });
      await put({ lockout: { maxPasswordFailures: 5 } }).expect(200);
      expect((await auditEvents(t, { action: 'tenant.settings.updated' })).length).toBeGreaterThanOrEqual(3);
    });

    it('refuse invalid overrides with a 400, and unknown tenants with a 404', async () => {
      for (const [body, message] of [
        [{ signupEnabled: 'sometimes' }, /signupEnabled/],
        [{ methods: { password: true } }, /saml/],
        [{ methods: 'inherit' }, /methods/],
        [{ methods: { password: 1, saml: false, ldap: false, external: false } }, /password must be a boolean/],
        [{ lockout: { maxPasswordFailures: 3 } }, /property lockout should not exist/],
      ] as const) {
        expectError(await putTenant(body), 400, message);
      }
      expect((await getTenant().expect(200)).body).toMatchObject({ signupEnabled: null, methods: null });
      expectError(await getTenant('no-such-tenant'), 404);
      expectError(await putTenant({ signupEnabled: true }, 'no-such-tenant'), 404);
    });
  });

  describe('portal wiring (embedding, billing API, data sharing)', () => {
    it('is empty at first', async () => {
      expect((await getTenant().expect(200)).body).toMatchObject({ embedOrigins: [], billingApi: null, dataSharingUrl: null });
    });

    it('stores embed origins, the billing API with a write-only password, and the data-sharing URL', async () => {
      const body = {
        embedOrigins: ['https://portal.example.com', 'http://127.0.0.1:8080'],
        billingApi: { url: 'https://billing.example.com/api/', username: 'portico', password: 'billing-s3cret' },
        dataSharingUrl: 'https://portal.example.com/data',
      };
      const saved = (await putTenant(body).expect(200)).body;
      expect(saved).toMatchObject({
        embedOrigins: body.embedOrigins,
        billingApi: { url: 'https://billing.example.com/api', username: 'portico', passwordSet: true, allowPrivateNetwork: false },
        dataSharingUrl: body.dataSharingUrl,
      });
      expect(JSON.stringify(saved)).not.toContain('billing-s3cret');
      // Changing the user alone keeps the stored password.
      const kept = (await putTenant({ billingApi: { url: 'https://billing.example.com/v2', username: 'other' } }).expect(200)).body;
      expect(kept.billingApi).toMatchObject({ url: 'https://billing.example.com/v2', username: 'other', passwordSet: true });
      expect((await putTenant({ billingApi: null, embedOrigins: [] }).expect(200)).body).toMatchObject({
        billingApi: null,
        embedOrigins: [],
      });
      const audit = await auditEvents(t, { action: 'tenant.settings.updated' });
      expect(JSON.stringify(audit)).not.toContain('billing-s3cret');
    });

    it('refuses what is not an origin or a usable URL, naming the field', async () => {
      for (const [body, message] of [
        [{ embedOrigins: ['https://portal.example.com/path'] }, /embedOrigins/],
        [{ embedOrigins: ['javascript:alert(1)'] }, /embedOrigins/],
        [{ embedOrigins: 'https://portal.example.com' }, /embedOrigins/],
        [{ billingApi: { url: 'ftp://billing.example.com', username: 'u', password: 'p' } }, /billingApi.url/],
        [{ billingApi: { url: 'https://user:pw@billing.example.com', username: 'u', password: 'p' } }, /billingApi.url/],
        [{ billingApi: { url: 'http://billing.example.com', username: 'u', password: 'p' } }, /https/],
        [{ billingApi: { url: 'https://billing.example.com', username: 'u' } }, /billingApi.password is required/],
        [{ billingApi: { url: 'https://billing.example.com', password: 'p' } }, /username/],
        [{ dataSharingUrl: 'not a url' }, /dataSharingUrl/],
      ] as const) {
        expectError(await putTenant(body), 400, message);
      }
      expect((await getTenant().expect(200)).body).toMatchObject({ billingApi: null, embedOrigins: [] });
    });
  });
});
