import * as oidc from 'openid-client';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { authorizationRequest, browse, relyingParty, startOidcApp } from '../support/oidc-rp';
import type { TestApp } from '../support/test-app';
import { WebSession } from '../support/web-session';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const PASSWORD = 'a long enough password 42';

describe.each(databaseKinds())('OpenID Connect provider (%s)', (kind) => {
  let t: TestApp & { issuer: string };
  let tenant: TenantFixture;
  let user: { id: string; email: string };
  let org: { id: string; siteId: number; name: string };

  const createClient = (auth: string, body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', auth)
      .send({ name: 'App', redirectUris: [REDIRECT], ...body });

  /** A person signs in at the authorization URL and comes back to the application with a code. */
  async function signIn(config: oidc.Configuration, web: WebSession, params: Record<string, string> = {}) {
    // A vendor-wide client signs a tenant's user in on that tenant's page when the request names it.
    const request = await authorizationRequest(config, REDIRECT, { tenant: tenant.key, ...params });
    const outcome = await browse(web, request.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    return { ...request, ...outcome };
  }

  beforeAll(async () => {
    t = await startOidcApp(kind);
    tenant = await makeTenant(t);
    org = await makeOrganization(t, tenant.auth, { externalUid: 'grp-7' });
    user = await makeUser(t, tenant.auth, {
      password: PASSWORD,
      organizationId: org.id,
      role: 'admin',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
  });
  afterAll(() => t?.close());

  it('publishes discovery naming its endpoints, code flow only, RS256 ID tokens and no alg none', async () => {
    const res = await t.http.get('/oidc/.well-known/openid-configuration').expect(200);
    expect(res.body.issuer).toBe(t.issuer);
    expect(res.body.response_types_supported).toEqual(['code']);
    expect(res.body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(res.body.grant_types_supported).not.toContain('implicit');
    expect([...res.body.id_token_signing_alg_values_supported].sort()).toEqual(['ES256', 'RS256']);
    expect(res.body.authorization_response_iss_parameter_supported).toBe(true);
    expect(res.body.code_challenge_methods_supported).toEqual(['S256']);
    expect(res.body.introspection_endpoint).toBeTruthy();
    expect(res.body.revocation_endpoint).toBeTruthy();
    const jwks = await t.http.get('/oidc/jwks').expect(200);
    expect(jwks.body.keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of jwks.body.keys) expect(key).not.toHaveProperty('d');
  });

  it('signs a tenant user in to a confidential client with code + PKCE: ID token validated, userinfo claims, refresh rotation', async () => {
    const created = await createClient(t.admin, { tenantKey: tenant.key, firstParty: true }).expect(201);
    expect(created.body.clientSecret).toEqual(expect.any(String));
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const web = new WebSession(t);
    const flow = await signIn(config, web, { scope: 'openid profile email organizations offline_access', prompt: 'consent' });
    expect(flow.visited.some((u) => u.includes(`/t/${tenant.key}/login`))).toBe(true);
    expect(flow.callback?.searchParams.get('iss')).toBe(t.issuer);
    const tokens = await oidc.authorizationCodeGrant(config, flow.callback!, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const idToken = tokens.claims()!;
    expect(idToken.sub).toBe(user.id);
    expect(idToken.aud).toBe(created.body.clientId);
    expect(idToken.auth_time).toEqual(expect.any(Number));
    expect(idToken.sid).toEqual(expect.any(String));
    expect(idToken.amr).toEqual(['pwd']);
    expect(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0], 'base64url').toString()).alg).toBe('RS256');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(info).toMatchObject({
      sub: user.id,
      email: user.email,
      given_name: 'Ada',
      family_name: 'Lovelace',
      name: 'Ada Lovelace',
      tenant: tenant.key,
      billable: false,
      organizations: [{ id: org.id, site_id: org.siteId, name: org.name, external_uid: 'grp-7', role: 'admin' }],
    });

    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // No new ID token on a refresh (OIDC Core 12.2): the sign-in is the one the first ID token described.
    expect(refreshed.id_token).toBeUndefined();
    // The refreshed access token answers userinfo with every claim, organizations included.
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, user.id)).toMatchObject({
      sub: user.id,
      tenant: tenant.key,
      organizations: [{ id: org.id, site_id: org.siteId, name: org.name, external_uid: 'grp-7', role: 'admin' }],
    });
    // The rotated token presented again: refused, and the whole grant goes with it.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const introspected = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(introspected.active).toBe(false);
  });
  it('serves a public client only with PKCE, and signs in again without a password (single sign-on) at a second client', async () => {
    const pub = await createClient(t.admin, { tokenEndpointAuthMethod: 'none', firstParty: true }).expect(201);
    expect(pub.body.clientSecret).toBeUndefined();
    const other = await createClient(t.admin, { firstParty: true }).expect(201);
    const config = await relyingParty(t.issuer, pub.body.clientId);
    const web = new WebSession(t);

    // Without a code_challenge the request is refused back at the application.
    const noPkce = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 's1' });
    const refused = await browse(web, noPkce.toString(), REDIRECT);
    expect(refused.callback?.searchParams.get('error')).toBe('invalid_request');

    const flow = await signIn(config, web);
    expect(flow.callback).not.toBeNull();
    // A wrong verifier: invalid_grant, and the code is gone.
    await expect(
      oidc.authorizationCodeGrant(config, flow.callback!, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: flow.state }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    // The second client: the provider session signs the person in, no sign-in page on the way.
    const second = await relyingParty(t.issuer, other.body.clientId, other.body.clientSecret);
    const request = await authorizationRequest(second, REDIRECT);
    const sso = await browse(web, request.url.toString(), REDIRECT);
    expect(sso.visited.some((u) => u.includes('/login'))).toBe(false);
    const tokens = await oidc.authorizationCodeGrant(second, sso.callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    expect(tokens.claims()!.sub).toBe(user.id);
  });

  it('refuses a code used twice (revoking what the first use produced), a code at another client and a wrong secret', async () => {
    const a = await createClient(t.admin, { firstParty: true }).expect(201);
    const b = await createClient(t.admin, { firstParty: true }).expect(201);
    const configA = await relyingParty(t.issuer, a.body.clientId, a.body.clientSecret);
    const configB = await relyingParty(t.issuer, b.body.clientId, b.body.clientSecret);
    const wrong = await relyingParty(t.issuer, a.body.clientId, 'not-the-secret');
    const web = new WebSession(t);

    const first = await signIn(configA, web);
    await expect(
      oidc.authorizationCodeGrant(wrong, first.callback!, { pkceCodeVerifier: first.verifier, expectedState: first.state }),
    ).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(
      oidc.authorizationCodeGrant(configB, first.callback!, { pkceCodeVerifier: first.verifier, expectedState: first.state }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const second = await signIn(configA, web);
    const tokens = await oidc.authorizationCodeGrant(configA, second.callback!, {
      pkceCodeVerifier: second.verifier,
      expectedState: second.state,
    });
    await expect(
      oidc.authorizationCodeGrant(configA, second.callback!, { pkceCodeVerifier: second.verifier, expectedState: second.state }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(configA, tokens.access_token, user.id)).rejects.toBeDefined();
  });

  it('honours one of two concurrent redemptions of the same code, and of the same refresh token', async () => {
    const created = await createClient(t.admin, { firstParty: true }).expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const web = new WebSession(t);
    const flow = await signIn(config, web, { scope: 'openid offline_access', prompt: 'consent' });
    const redeem = () =>
      oidc.authorizationCodeGrant(config, flow.callback!, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }).then(
        (tokens) => ({ ok: true as const, tokens }),
        (err: { error?: string }) => ({ ok: false as const, error: err.error }),
      );
    const codeRace = await Promise.all([redeem(), redeem()]);
    expect(codeRace.filter((r) => r.ok)).toHaveLength(1);
    expect(codeRace.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(['invalid_grant']);

    // A fresh grant for the refresh token race (the loser above may have revoked the winner's, as a reuse).
    const again = await signIn(config, web, { scope: 'openid offline_access', prompt: 'consent' });
    const { refresh_token: refresh } = await oidc.authorizationCodeGrant(config, again.callback!, {
      pkceCodeVerifier: again.verifier,
      expectedState: again.state,
    });
    const race = await Promise.all(
      [1, 2].map(() =>
        oidc.refreshTokenGrant(config, refresh!).then(
          () => true,
          () => false,
        ),
      ),
    );
    expect(race.filter(Boolean)).toHaveLength(1);
  });

  it('issues client_credentials tokens naming the client’s tenant, introspects and revokes them for confidential clients only', async () => {
    const created = await createClient(tenant.auth, { grantTypes: ['client_credentials'], redirectUris: [] }).expect(201);
    expect(created.body.tenantKey).toBe(tenant.key);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const tokens = await oidc.clientCredentialsGrant(config);
    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: created.body.clientId, tenant: tenant.key });
    expect(active.sub).toBeUndefined();
    await oidc.tokenRevocation(config, tokens.access_token);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    // A code-flow-only client may not use the grant.
    const codeOnly = await createClient(t.admin, {}).expect(201);
    const other = await relyingParty(t.issuer, codeOnly.body.clientId, codeOnly.body.clientSecret);
    await expect(oidc.clientCredentialsGrant(other)).rejects.toMatchObject({
      error_description: 'requested grant type is not allowed for this client',
    });
  });

  it('answers near-miss redirect URIs with an error page and no redirect, and refuses implicit and hybrid response types', async () => {
    const created = await createClient(t.admin, { firstParty: true }).expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const web = new WebSession(t);
    for (const uri of [
      'http://127.0.0.1:8765/callback/',
      'http://127.0.0.1:8765/Callback',
      'http://127.0.0.1:8765/callback?x=1',
      'http://127.0.0.1:8766/callback',
      'http://127.0.0.1:8765/other/../callback',
      'http://127.0.0.1:8765/callback#frag',
      'https://evil.example/callback',
    ]) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: uri,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      });
      const res = await web.get(url.pathname + url.search);
      expect({ uri, status: res.status, location: res.headers.location }).toEqual({ uri, status: 400, location: undefined });
      expect(res.text).toContain('redirect_uri');
    }
    for (const responseType of ['token', 'id_token', 'code id_token', 'code token']) {
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', response_type: responseType, nonce: 'n' });
      const res = await web.get(url.pathname + url.search);
      // The error goes back in the fragment, as the requested response type would have; no token with it.
      const location = new URL(res.headers.location ?? 'http://none/', REDIRECT);
      const answer = new URLSearchParams(location.hash.slice(1));
      expect({ responseType, error: answer.get('error') }).toEqual({ responseType, error: 'unsupported_response_type' });
      expect(res.headers.location).not.toContain('access_token');
    }
  });

  it('answers access_denied at the client to a user of another tenant, and to a disabled user', async () => {
    const other = await makeTenant(t);
    const otherClient = await createClient(other.auth, {}).expect(201);
    const config = await relyingParty(t.issuer, otherClient.body.clientId, otherClient.body.clientSecret);
    const web = new WebSession(t);
    // Signed in to Portico as the first tenant's user, then sent to the other tenant's client.
    await web.login(user.email, PASSWORD, `/t/${tenant.key}/login`).then((r) => expect(r.status).toBe(303));
    const request = await authorizationRequest(config, REDIRECT);
    const outcome = await browse(web, request.url.toString(), REDIRECT);
    expect(outcome.callback?.searchParams.get('error')).toBe('access_denied');
    expect(outcome.callback?.searchParams.has('code')).toBe(false);

    const disabled = await makeUser(t, tenant.auth, { password: PASSWORD });
    const vendorWide = await createClient(t.admin, { firstParty: true }).expect(201);
    const vendorConfig = await relyingParty(t.issuer, vendorWide.body.clientId, vendorWide.body.clientSecret);
    const browser = new WebSession(t);
    await browser.login(disabled.email, PASSWORD, `/t/${tenant.key}/login`).then((r) => expect(r.status).toBe(303));
    await t.http.patch(`/api/v1/users/${disabled.id}`).set('Authorization', tenant.auth).send({ status: 'disabled' }).expect(200);
    const second = await authorizationRequest(vendorConfig, REDIRECT);
    const refused = await browse(browser, second.url.toString(), REDIRECT);
    expect(refused.callback?.searchParams.has('code')).toBe(false);
  });

  it('answers login_required to prompt=none without a session', async () => {
    const created = await createClient(t.admin, { firstParty: true }).expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const request = await authorizationRequest(config, REDIRECT, { prompt: 'none' });
    const outcome = await browse(new WebSession(t), request.url.toString(), REDIRECT);
    expect(outcome.callback?.searchParams.get('error')).toBe('login_required');
  });

  it('shows a consent page to a client that is not first party, and denying it answers access_denied', async () => {
    const created = await createClient(t.admin, {}).expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const web = new WebSession(t);
    const flow = await signIn(config, web);
    expect(flow.page?.status).toBe(200);
    expect(flow.page?.text).toContain('Allow App to sign you in?');
    const consentUrl = new URL(flow.visited.at(-1)!);
    const denied = await web.submit(`${consentUrl.pathname}/consent`, { decision: 'deny' }, consentUrl.pathname);
    const back = await browse(web, new URL(denied.headers.location, consentUrl).toString(), REDIRECT);
    expect(back.callback?.searchParams.get('error')).toBe('access_denied');

    const again = await signIn(config, web);
    const page = new URL(again.visited.at(-1)!);
    const allowed = await web.submit(`${page.pathname}/consent`, { decision: 'allow' }, page.pathname);
    const done = await browse(web, new URL(allowed.headers.location, page).toString(), REDIRECT);
    expect(done.callback?.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('validates clients at registration: redirect URI rules, admin-only fields (403 naming the field), secrets stored hashed', async () => {
    for (const uri of [
      'http://app.example.com/cb',
      'https://app.example.com/cb#x',
      'https://*.example.com/cb',
      'https://u:p@app.example.com/cb',
      'https://app.example.com/a/../cb',
      'nonsense',
    ]) {
      const res = await createClient(t.admin, { redirectUris: [uri] }).expect(400);
      expect(res.body.message).toContain('redirectUris[0]');
    }
    await createClient(t.admin, { redirectUris: ['http://localhost:3000/cb', 'https://app.example.com/cb'] }).expect(201);
    const firstParty = await createClient(tenant.auth, { firstParty: true }).expect(403);
    expect(firstParty.body.message).toContain('firstParty');
    const privateNet = await createClient(tenant.auth, { allowPrivateNetwork: true }).expect(403);
    expect(privateNet.body.message).toContain('allowPrivateNetwork');
    await createClient(tenant.auth, { tenantKey: 'someone-else' }).expect(403);

    const mine = await createClient(tenant.auth, {}).expect(201);
    const theirs = await makeTenant(t);
    await t.http.get(`/api/v1/oidc/clients/${mine.body.clientId}`).set('Authorization', theirs.auth).expect(404);
    const list = await t.http.get('/api/v1/oidc/clients').set('Authorization', theirs.auth).expect(200);
    expect(list.body.total).toBe(0);
    const got = await t.http.get(`/api/v1/oidc/clients/${mine.body.clientId}`).set('Authorization', tenant.auth).expect(200);
    expect(got.body).toMatchObject({ clientSecretSet: true, tenantKey: tenant.key });
    expect(JSON.stringify(got.body)).not.toContain(mine.body.clientSecret);

    const rotated = await t.http.post(`/api/v1/oidc/clients/${mine.body.clientId}/secret`).set('Authorization', tenant.auth).expect(200);
    const oldSecret = await relyingParty(t.issuer, mine.body.clientId, mine.body.clientSecret);
    await expect(oidc.clientCredentialsGrant(oldSecret)).rejects.toMatchObject({ error: 'invalid_client' });
    expect(rotated.body.clientSecret).not.toBe(mine.body.clientSecret);
    const audit = await t.http.get('/api/v1/audit-events?action=oidc_client.secret_rotated').set('Authorization', t.admin).expect(200);
    expect(audit.body.items.length).toBeGreaterThan(0);
  });

  it('lists signing keys to platform admins and rotates them, keeping the old ones in the JWKS', async () => {
    await t.http.get('/api/v1/oidc/keys').set('Authorization', tenant.auth).expect(403);
    const before = await t.http.get('/api/v1/oidc/keys').set('Authorization', t.admin).expect(200);
    expect(before.body.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    const after = await t.http.post('/api/v1/oidc/keys/rotate').set('Authorization', t.admin).expect(200);
    expect(after.body).toHaveLength(4);
    const jwks = await t.http.get('/oidc/jwks').expect(200);
    const kids = jwks.body.keys.map((k: { kid: string }) => k.kid);
    for (const key of before.body) expect(kids).toContain(key.kid);
    expect(after.body.filter((k: { retiresAt: string | null }) => k.retiresAt !== null)).toHaveLength(2);
  });
});
