import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { accountOf, oidcTenant, signInFlow, TestOidcIdp } from '../support/tenant-oidc';
import { startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

async function auditOf(
  t: TestApp,
  tenantKey: string,
  action: string,
): Promise<{ details: Record<string, unknown>; target: { id: string | null } }[]> {
  const res = await t.http
    .get(`/api/v1/audit-events?tenantKey=${tenantKey}&action=${action}&limit=100`)
    .set('Authorization', t.admin)
    .expect(200);
  return res.body.items;
}

async function usersOf(t: TestApp, tenantKey: string): Promise<{ id: string; email: string; createdVia: string }[]> {
  return (await t.http.get(`/api/v1/users?tenantKey=${tenantKey}&limit=100`).set('Authorization', t.admin).expect(200)).body.items;
}

/**
 * Tenant sign-in through the tenant's own OpenID provider (product.md §13): the configuration API,
 * then the whole flow against a real provider (panva's oidc-provider), JIT provisioning, a second
 * sign-in, and the linking rules.
 */
describe.each(databaseKinds())('tenant OpenID Connect sign-in (%s)', (kind) => {
  let t: TestApp;
  let idp: TestOidcIdp;
  let tenant: TenantFixture;
  let problems: string[];
  const path = () => `/api/v1/tenants/${tenant.key}/oidc`;

  beforeAll(async () => {
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    idp = await TestOidcIdp.start([`${t.config.publicUrl}/t/${tenant.key}/oidc/callback`]);
    idp.add({
      sub: 'idp-ada',
      email: 'ada@partner.example',
      email_verified: true,
      given_name: 'Ada',
      family_name: 'Lovelace',
      group_uid: 'grp-analytical',
      group_name: 'Analytical Engines',
      group_role: 'admin',
    });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  describe('configuration API', () => {
    it('answers defaults and the redirect URI before anything is set', async () => {
      const res = await t.http.get(path()).set('Authorization', t.admin).expect(200);
      expect(res.body).toMatchObject({
        tenantKey: tenant.key,
        enabled: false,
        configured: false,
        issuer: null,
        clientId: null,
        clientSecretSet: false,
        scopes: 'openid email profile',
        jitProvisioning: true,
        defaultOrganizationId: null,
        allowPrivateNetwork: false,
        redirectUri: `${t.config.publicUrl}/t/${tenant.key}/oidc/callback`,
        discovered: null,
        claimMapping: { email: 'email', firstName: 'given_name', lastName: 'family_name', groupUid: 'group_uid' },
      });
    });

    it('refuses bad input with 400s naming the field, and a loopback issuer without allowPrivateNetwork', async () => {
      const put = (body: Record<string, unknown>) => t.http.put(path()).set('Authorization', t.admin).send(body);
      for (const [body, message] of [
        [{ issuer: 'not a url' }, /issuer/],
        [{ issuer: 'https://idp.example.com/?x=1' }, /issuer/],
        [{ clientId: '' }, /clientId/],
        [{ scopes: 'email profile' }, /scopes must include openid/],
        [{ tokenEndpointAuthMethod: 'none' }, /tokenEndpointAuthMethod/],
        [{ claimMapping: { email: '' } }, /email/],
        [{ defaultOrganizationId: 'nope' }, /defaultOrganizationId must be a UUID/],
        [{ enabled: 'yes' }, /enabled must be a boolean/],
        [{ enabled: true }, /enabled needs issuer, clientId and clientSecret/],
        [{ allowPrivateNetwork: 'x' }, /allowPrivateNetwork/],
      ] as const) {
        const res = await put(body).expect(400);
        expect(res.body.message).toMatch(message);
      }
      const loopback = await put({ issuer: idp.issuer }).expect(400);
      expect(loopback.body.message).toMatch(/^issuer: discovery .* failed: .*allowPrivateNetwork/);
      // Another tenant's organization is not a default.
      const other = await makeTenant(t);
      const org = await makeOrganization(t, other.auth);
      expect((await put({ defaultOrganizationId: org.id }).expect(400)).body.message).toMatch(/defaultOrganizationId/);
      // A tenant API key cannot configure its provider at all (allowPrivateNetwork least of all).
      await t.http.put(path()).set('Authorization', tenant.auth).send({ allowPrivateNetwork: true }).expect(403);
      await t.http.get(path()).set('Authorization', tenant.auth).expect(403);
    });

    it('discovers the provider, keeps the client secret write-only and audits every change', async () => {
      const res = await t.http
        .put(path())
        .set('Authorization', t.admin)
        .send({
          issuer: idp.issuer,
          clientId: idp.clientId,
          clientSecret: idp.clientSecret,
          allowPrivateNetwork: true,
          scopes: 'openid email profile groups',
          displayName: 'Partner Directory',
        })
        .expect(200);
      expect(res.body).toMatchObject({
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecretSet: true,
        configured: true,
        enabled: false,
        buttonName: 'Partner Directory',
        discovered: {
          issuer: idp.issuer,
          authorizationEndpoint: `${idp.issuer}/auth`,
          tokenEndpoint: `${idp.issuer}/token`,
          jwksUri: `${idp.issuer}/jwks`,
          authorizationResponseIssParameterSupported: true,
        },
      });
      expect(JSON.stringify(res.body)).not.toContain(idp.clientSecret);
      const get = await t.http.get(path()).set('Authorization', t.admin).expect(200);
      expect(JSON.stringify(get.body)).not.toContain(idp.clientSecret);
      expect(get.body.clientSecretSet).toBe(true);
      const audits = await auditOf(t, tenant.key, 'oidc.connection.updated');
      expect(audits.length).toBeGreaterThan(0);
      expect(JSON.stringify(audits)).not.toContain(idp.clientSecret);
    });

    it('is documented in the OpenAPI document', async () => {
      // Read past the response watch: the document names password and secret fields by design.
      const doc = (await (await fetch(`${t.baseUrl}/api/docs-json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, { properties: Record<string, unknown> }> };
      };
      const ops = doc.paths['/api/v1/tenants/{key}/oidc'];
      expect(Object.keys(ops).sort()).toEqual(['delete', 'get', 'put']);
      expect(JSON.stringify(doc.components.schemas.PutTenantOidcDto)).toContain('clientSecret');
      expect(doc.components.schemas.TenantOidcView.properties).toHaveProperty('redirectUri');
    });
  });

  describe('signing in through the provider', () => {
    beforeAll(async () => {
      await oidcTenant(t, idp, { scopes: 'openid email profile groups' }, tenant);
    });

    it('offers "Sign in with {name}" on the tenant sign-in page only while the connection and the method are on', async () => {
      const session = new WebSession(t);
      const page = decode((await session.get(`/t/${tenant.key}/login?next=/account`)).text);
      expect(page).toContain(`href="/t/${tenant.key}/oidc/init?next=%2Faccount"`);
      expect(page).toContain('Sign in with Partner Directory');
      expect((await session.get('/login')).text).not.toContain('oidc-sign-in');
      await t.http.put(path()).set('Authorization', t.admin).send({ enabled: false }).expect(200);
      expect((await session.get(`/t/${tenant.key}/login`)).text).not.toContain('oidc-sign-in');
      expect((await session.get(`/t/${tenant.key}/oidc/init`)).status).toBe(403);
      await t.http.put(path()).set('Authorization', t.admin).send({ enabled: true }).expect(200);
    });

    it('redirects to the provider with code, PKCE S256, state and nonce', async () => {
      const session = new WebSession(t);
      const res = await session.get(`/t/${tenant.key}/oidc/init?next=/account`);
      expect(res.status).toBe(302);
      const url = new URL(res.headers.location);
      expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/auth`);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: idp.clientId,
        redirect_uri: `${t.config.publicUrl}/t/${tenant.key}/oidc/callback`,
        scope: 'openid email profile groups',
        code_challenge_method: 'S256',
      });
      expect(url.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
      expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
      expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    });

    it('creates the user, the organization and the membership just in time, links the sub, and signs in', async () => {
      idp.nextAccount = 'idp-ada';
      const session = new WebSession(t);
      const done = await signInFlow(session, `/t/${tenant.key}/oidc/init?next=/account`);
      expect(done.status).toBe(303);
      expect(done.location).toBe('/account');
      const account = await accountOf(session);
      expect(account.signedIn).toBe(true);
      expect(decode(account.text)).toContain('ada@partner.example');
      const users = (await usersOf(t, tenant.key)).filter((u) => u.email === 'ada@partner.example');
      expect(users).toHaveLength(1);
      expect(users[0].createdVia).toBe('oidc');
      const orgs = await t.http.get(`/api/v1/organizations?tenantKey=${tenant.key}&limit=100`).set('Authorization', t.admin).expect(200);
      const org = orgs.body.items.find((o: { externalUid: string }) => o.externalUid === 'grp-analytical');
      expect(org).toMatchObject({ name: 'Analytical Engines' });
      const members = await t.http.get(`/api/v1/organizations/${org.id}/members`).set('Authorization', t.admin).expect(200);
      expect(members.body.items).toEqual([expect.objectContaining({ userId: users[0].id, role: 'admin' })]);
      const links = await t.http.get(`/api/v1/identity-links?provider=oidc&entityType=user`).set('Authorization', tenant.auth).expect(200);
      expect(links.body.items).toEqual([expect.objectContaining({ localId: users[0].id, foreignId: 'idp-ada' })]);
      const audits = await auditOf(t, tenant.key, 'auth.login.succeeded');
      expect(audits).toEqual([
        expect.objectContaining({ target: { type: 'user', id: users[0].id }, details: { method: 'oidc', created: true } }),
      ]);
    });

    it('signs the same person in again without a second account, whatever the email now says', async () => {
      idp.accounts.get('idp-ada')!.email = 'ada.renamed@partner.example';
      idp.nextAccount = 'idp-ada';
      const session = new WebSession(t);
      const done = await signInFlow(session, `/t/${tenant.key}/oidc/init?next=/account`);
      expect(done.location).toBe('/account');
      expect(decode((await accountOf(session)).text)).toContain('ada@partner.example');
      expect((await usersOf(t, tenant.key)).filter((u) => /ada/.test(u.email))).toHaveLength(1);
      idp.accounts.get('idp-ada')!.email = 'ada@partner.example';
    });

    it('links an existing account by email only when the provider says the address is verified', async () => {
      const local = await makeUser(t, tenant.auth, { email: 'grace@partner.example' });
      idp.add({ sub: 'idp-grace-unverified', email: 'grace@partner.example', email_verified: false, given_name: 'Mallory' });
      idp.nextAccount = 'idp-grace-unverified';
      const refused = await signInFlow(new WebSession(t), `/t/${tenant.key}/oidc/init`);
      expect(refused.status).toBe(403);
      expect(decode(refused.text)).toContain('does not say the address is verified');
      expect((await auditOf(t, tenant.key, 'auth.login.refused')).map((a) => a.details)).toContainEqual({
        method: 'oidc',
        reason: 'email-unverified',
      });
      // A provider that says nothing about the address counts as unverified too.
      idp.add({ sub: 'idp-grace-silent', email: 'grace@partner.example' });
      idp.nextAccount = 'idp-grace-silent';
      expect((await signInFlow(new WebSession(t), `/t/${tenant.key}/oidc/init`)).status).toBe(403);

      idp.add({ sub: 'idp-grace', email: 'Grace@partner.example', email_verified: true });
      idp.nextAccount = 'idp-grace';
      const session = new WebSession(t);
      const done = await signInFlow(session, `/t/${tenant.key}/oidc/init`);
      expect(done.location).toBe('/account');
      expect(decode((await accountOf(session)).text)).toContain('grace@partner.example');
      const links = await t.http.get(`/api/v1/identity-links?provider=oidc&entityType=user`).set('Authorization', tenant.auth).expect(200);
      expect(links.body.items).toContainEqual(expect.objectContaining({ localId: local.id, foreignId: 'idp-grace' }));
      expect((await usersOf(t, tenant.key)).filter((u) => /grace/i.test(u.email))).toHaveLength(1);
    });

    it('refuses a new person when just-in-time provisioning is off, and says why', async () => {
      await t.http.put(path()).set('Authorization', t.admin).send({ jitProvisioning: false }).expect(200);
      idp.add({ sub: 'idp-new', email: 'new@partner.example', email_verified: true });
      idp.nextAccount = 'idp-new';
      const refused = await signInFlow(new WebSession(t), `/t/${tenant.key}/oidc/init`);
      expect(refused.status).toBe(403);
      expect(decode(refused.text)).toContain('There is no Portico account for you in this tenant');
      expect((await usersOf(t, tenant.key)).some((u) => u.email === 'new@partner.example')).toBe(false);
      await t.http.put(path()).set('Authorization', t.admin).send({ jitProvisioning: true }).expect(200);
    });

    it('stops at once when the method is turned off for the tenant', async () => {
      await t.http
        .put(`/api/v1/tenants/${tenant.key}/settings`)
        .set('Authorization', t.admin)
        .send({ methods: { password: true, saml: false, ldap: false, external: false, oidc: false } })
        .expect(200);
      const session = new WebSession(t);
      const res = await session.get(`/t/${tenant.key}/oidc/init`);
      expect(res.status).toBe(403);
      expect(decode(res.text)).toContain('turned off for this tenant');
      const settings = await t.http.get(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).expect(200);
      expect(settings.body.effective.methods.oidc).toBe(false);
      await t.http
        .put(`/api/v1/tenants/${tenant.key}/settings`)
        .set('Authorization', t.admin)
        .send({ methods: { password: true, saml: false, ldap: false, external: false, oidc: true } })
        .expect(200);
    });

    it('has the global switch in the authentication settings', async () => {
      const global = await t.http.get('/api/v1/settings/authentication').set('Authorization', t.admin).expect(200);
      expect(global.body.methods.oidc).toBe(false);
      const set = await t.http
        .put('/api/v1/settings/authentication')
        .set('Authorization', t.admin)
        .send({ methods: { ...global.body.methods, oidc: true } })
        .expect(200);
      expect(set.body.methods.oidc).toBe(true);
      // A caller that does not know the switch leaves it alone.
      const old = await t.http
        .put('/api/v1/settings/authentication')
        .set('Authorization', t.admin)
        .send({ methods: { password: true, saml: false, ldap: false, external: false } })
        .expect(200);
      expect(old.body.methods.oidc).toBe(true);
    });

    it('authenticates to the provider with private_key_jwt: Portico’s own key, published for the provider, no secret', async () => {
      const other = await makeTenant(t);
      const keyed = await TestOidcIdp.start([`${t.config.publicUrl}/t/${other.key}/oidc/callback`], {
        authMethod: 'private_key_jwt',
        // The provider reads Portico's public key where Portico publishes it (the test server's own address).
        client: { jwks_uri: `${t.baseUrl}/t/${other.key}/oidc/jwks`, client_secret: undefined },
      });
      try {
        keyed.add({ sub: 'idp-kay', email: 'kay@keyed.example', email_verified: true });
        keyed.nextAccount = 'idp-kay';
        expect((await t.http.get(`/t/${other.key}/oidc/jwks`).expect(200)).body).toEqual({ keys: [] });
        const { tenant: keyedTenant } = await oidcTenant(
          t,
          { issuer: keyed.issuer, clientId: keyed.clientId, clientSecret: 'unused-secret-not-needed' },
          { tokenEndpointAuthMethod: 'private_key_jwt', clientSecret: null },
          other,
        );
        const view = await t.http.get(`/api/v1/tenants/${keyedTenant.key}/oidc`).set('Authorization', t.admin).expect(200);
        expect(view.body).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', clientSecretSet: false, configured: true });
        expect(view.body.clientPublicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
        expect(view.body.clientPublicJwk).not.toHaveProperty('d');
        const jwks = await t.http.get(`/t/${keyedTenant.key}/oidc/jwks`).expect(200);
        expect(jwks.body.keys).toEqual([view.body.clientPublicJwk]);
        expect(jwks.headers['cache-control']).toMatch(/no-store/);
        const session = new WebSession(t);
        expect((await signInFlow(session, `/t/${keyedTenant.key}/oidc/init`)).location).toBe('/account');
        expect(decode((await accountOf(session)).text)).toContain('kay@keyed.example');
        await t.http.get('/t/no-such-tenant/oidc/jwks').expect(404);
      } finally {
        await keyed.close();
      }
    });

    it('deletes the connection: sign-in stops and the page no longer offers it', async () => {
      const other = await makeTenant(t);
      await t.http.delete(`/api/v1/tenants/${other.key}/oidc`).set('Authorization', t.admin).expect(204);
      await t.http.delete(path()).set('Authorization', t.admin).expect(204);
      expect((await auditOf(t, tenant.key, 'oidc.connection.deleted')).length).toBe(1);
      const session = new WebSession(t);
      expect((await session.get(`/t/${tenant.key}/oidc/init`)).status).toBe(404);
      expect((await session.get(`/t/${tenant.key}/login`)).text).not.toContain('oidc-sign-in');
      const get = await t.http.get(path()).set('Authorization', t.admin).expect(200);
      expect(get.body).toMatchObject({ configured: false, clientSecretSet: false, enabled: false });
    });
  });
});
