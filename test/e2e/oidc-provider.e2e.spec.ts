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
    const request = await authorizationRequest(config, REDIRECT, params);
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
    // The rotated token presented again: refused, and the whole grant goes with it.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const introspected = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(introspected.active).toBe(false);
  });
});
