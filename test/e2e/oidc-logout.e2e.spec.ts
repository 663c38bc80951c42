import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { totpCode, TOTP_PERIOD } from '../../libs/auth/src/totp/totp';
import { OidcRepository } from '../../libs/oidc/src/oidc.repository';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { authorizationRequest, browse, relyingParty, startOidcApp } from '../support/oidc-rp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type TestApp } from '../support/test-app';
import { csrfOf, WebSession } from '../support/web-session';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:8765/bye';
const PASSWORD = 'a long enough password 42';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe.each(databaseKinds())('OpenID Connect logout, revocation and consent (%s)', (kind) => {
  let t: TestApp & { issuer: string };
  let tenant: TenantFixture;
  let receiver: WebhookReceiver;

  const createClient = (auth: string, body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', auth)
      .send({ name: 'App', redirectUris: [REDIRECT], postLogoutRedirectUris: [AFTER_LOGOUT], ...body });

  /** A first-party client whose back-channel logout URI is the local receiver (an admin allows the loopback address). */
  async function backchannelClient(path: string, body: Record<string, unknown> = {}) {
    const created = await createClient(t.admin, {
      firstParty: true,
      allowPrivateNetwork: true,
      backchannelLogoutUri: receiver.url(path),
      grantTypes: ['authorization_code', 'refresh_token'],
      ...body,
    }).expect(201);
    return {
      clientId: created.body.clientId as string,
      config: await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret),
    };
  }

  async function signIn(config: oidc.Configuration, web: WebSession, login: { email: string }, params: Record<string, string> = {}) {
    const request = await authorizationRequest(config, REDIRECT, { tenant: tenant.key, ...params });
    const outcome = await browse(web, request.url.toString(), REDIRECT, { login: login.email, password: PASSWORD });
    expect(outcome.callback?.searchParams.get('code')).toEqual(expect.any(String));
    return oidc.authorizationCodeGrant(config, outcome.callback!, { pkceCodeVerifier: request.verifier, expectedState: request.state });
  }

  /** The logout tokens the receiver got at `path`, verified with the provider's JWKS. */
  async function logoutTokens(path: string, clientId: string) {
    const jwks = createRemoteJWKSet(new URL(`${t.issuer}/jwks`));
    const tokens = [];
    for (const hook of receiver.received.filter((r) => r.path === path)) {
      const token = new URLSearchParams(hook.body).get('logout_token')!;
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: t.issuer, audience: clientId });
      expect(protectedHeader.typ).toBe('logout+jwt');
      tokens.push(payload);
    }
    return tokens;
  }

  beforeAll(async () => {
    t = await startOidcApp(kind);
    tenant = await makeTenant(t);
    receiver = await new WebhookReceiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('puts the real sign-in methods in amr: pwd for a password, pwd otp mfa with the authenticator app; auth_time and updated_at', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const { config } = await backchannelClient('/amr');
    const first = await signIn(config, new WebSession(t), user, { scope: 'openid profile' });
    expect(first.claims()!.amr).toEqual(['pwd']);
    expect(first.claims()!.auth_time).toEqual(expect.any(Number));
    const info = await oidc.fetchUserInfo(config, first.access_token, user.id);
    expect(info.updated_at).toEqual(expect.any(Number));

    // The person turns the authenticator app on, then signs in again in a new browser.
    const b = new WebSession(t);
    await b.login(user.email, PASSWORD, `/t/${tenant.key}/login`);
    const setup = await b.get('/account/authenticator');
    const secret = /data-testid="totp-secret">([A-Z2-7]+)</.exec(setup.text)![1];
    await b
      .postRaw('/account/authenticator', { _csrf: csrfOf(setup.text), action: 'enable', code: totpCode(secret, Date.now()) })
      .then((r) => expect(r.status).toBe(303));
    const web = new WebSession(t);
    const request = await authorizationRequest(config, REDIRECT, { tenant: tenant.key });
    const atCode = await browse(web, request.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    expect(atCode.visited.at(-1)).toContain('/login/authenticator');
    const code = await web.submit('/login/authenticator', { code: totpCode(secret, Date.now() + TOTP_PERIOD * 1000) });
    expect(code.status).toBe(303);
    const back = await browse(web, new URL(code.headers.location, t.baseUrl).toString(), REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(config, back.callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('signing out of Portico ends single sign-on and sends a verified back-channel logout token to the application', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const { clientId, config } = await backchannelClient('/portico-logout');
    const web = new WebSession(t);
    const tokens = await signIn(config, web, user);
    const sid = tokens.claims()!.sid;

    expect((await web.logout()).status).toBe(303);
    const [logout] = await eventually(async () => {
      const got = await logoutTokens('/portico-logout', clientId);
      return got.length ? got : null;
    });
    expect(logout).toMatchObject({ iss: t.issuer, aud: clientId, sub: user.id, sid, events: { [BACKCHANNEL_EVENT]: {} } });
    expect(logout).not.toHaveProperty('nonce');
    // The same browser has no provider session any more: prompt=none answers login_required.
    const again = await authorizationRequest(config, REDIRECT, { prompt: 'none' });
    expect((await browse(web, again.url.toString(), REDIRECT)).callback?.searchParams.get('error')).toBe('login_required');
    // Access tokens of a grant without offline_access end with the session.
    await expect(oidc.fetchUserInfo(config, tokens.access_token, user.id)).rejects.toBeDefined();
    const audit = await t.http.get('/api/v1/audit-events?action=oidc.logout').set('Authorization', t.admin).expect(200);
    expect(audit.body.items.some((e: { target: { id: string } }) => e.target.id === user.id)).toBe(true);
  });

  it('signing out of the console ends an administrator’s single sign-on to applications too', async () => {
    const { clientId, config } = await backchannelClient('/console-logout');
    const admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
    // The console session is a Portico session: the application signs the administrator in without a form.
    const request = await authorizationRequest(config, REDIRECT);
    const outcome = await browse(admin, request.url.toString(), REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(config, outcome.callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });

    const csrf = await admin.csrf('/console');
    expect((await admin.postRaw('/console/logout', { _csrf: csrf })).headers.location).toBe('/console/login');
    const [logout] = await eventually(async () => {
      const got = await logoutTokens('/console-logout', clientId);
      return got.length ? got : null;
    });
    expect(logout).toMatchObject({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid });
    const again = await authorizationRequest(config, REDIRECT, { prompt: 'none' });
    expect((await browse(admin, again.url.toString(), REDIRECT)).callback?.searchParams.get('error')).toBe('login_required');
  });

  it('RP-initiated logout: Portico’s confirmation page, the registered post_logout_redirect_uri with state, and the Portico session ends', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const { clientId, config } = await backchannelClient('/rp-logout');
    const web = new WebSession(t);
    const tokens = await signIn(config, web, user);

    // An unregistered post-logout URI is refused without a redirect.
    const wrong = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://127.0.0.1:8765/elsewhere',
    });
    const refused = await web.get(wrong.pathname + wrong.search);
    expect(refused.status).toBe(400);
    expect(refused.headers.location).toBeUndefined();

    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: AFTER_LOGOUT,
      state: 'st<>"1',
    });
    const page = await web.get(end.pathname + end.search);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign out of App?');
    expect(page.text).toContain('class="card narrow"');
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(page.text)![1].replace(/&#x3D;/g, '='));
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)![1];
    // Without the library's xsrf token the form is refused.
    const forged = await web.agent.post(action.pathname).type('form').send({ xsrf: 'forged', logout: 'yes' });
    expect(forged.status).toBe(400);
    const done = await web.agent.post(action.pathname).type('form').send({ xsrf, logout: 'yes' });
    expect(done.status).toBe(303);
    const back = new URL(done.headers.location);
    expect(`${back.origin}${back.pathname}`).toBe(AFTER_LOGOUT);
    expect(back.searchParams.get('state')).toBe('st<>"1');

    await eventually(async () => (await logoutTokens('/rp-logout', clientId)).length === 1);
    // The Portico session ended before the answer came back: the account page asks for a sign-in.
    expect((await web.get('/account')).status).toBe(303);
  });

  it('disabling a user revokes their tokens at once (introspection inactive, userinfo 401, refresh invalid_grant) and tells the application', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const { clientId, config } = await backchannelClient('/disabled');
    const tokens = await signIn(config, new WebSession(t), user, { scope: 'openid offline_access', prompt: 'consent' });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);

    // The application's receiver fails the first delivery: the logout token is sent again.
    receiver.respond = (hook, res) => {
      if (hook.path === '/disabled' && receiver.received.filter((r) => r.path === '/disabled').length === 1) res.writeHead(503).end();
    };
    await t.http.patch(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).send({ status: 'disabled' }).expect(200);
    await eventually(async () => (await oidc.tokenIntrospection(config, tokens.access_token)).active === false);
    await expect(oidc.fetchUserInfo(config, tokens.access_token, user.id)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Enabled again, the old refresh token stays dead.
    await t.http.patch(`/api/v1/users/${user.id}`).set('Authorization', tenant.auth).send({ status: 'active' }).expect(200);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const [failed, retried] = await eventually(async () => {
      const got = await logoutTokens('/disabled', clientId);
      return got.length === 2 ? got : null;
    });
    receiver.respond = () => undefined;
    for (const logout of [failed, retried]) expect(logout).toMatchObject({ sub: user.id, sid: tokens.claims()!.sid });
  });

  it('suspending a tenant revokes its users’ tokens and its own clients’, and deleting a client revokes what it holds', async () => {
    const other = await makeTenant(t);
    const user = await makeUser(t, other.auth, { password: PASSWORD });
    const vendor = await backchannelClient('/suspended');
    const request = await authorizationRequest(vendor.config, REDIRECT, { tenant: other.key });
    const outcome = await browse(new WebSession(t), request.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    const tokens = await oidc.authorizationCodeGrant(vendor.config, outcome.callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    const machine = await createClient(other.auth, { grantTypes: ['client_credentials'], redirectUris: [] }).expect(201);
    const machineConfig = await relyingParty(t.issuer, machine.body.clientId, machine.body.clientSecret);
    const cc = await oidc.clientCredentialsGrant(machineConfig);

    await t.http.patch(`/api/v1/tenants/${other.key}`).set('Authorization', t.admin).send({ status: 'suspended' }).expect(200);
    await eventually(async () => (await oidc.tokenIntrospection(vendor.config, tokens.access_token)).active === false);
    await expect(oidc.clientCredentialsGrant(machineConfig)).rejects.toMatchObject({ error: 'invalid_client' });
    await t.http.patch(`/api/v1/tenants/${other.key}`).set('Authorization', t.admin).send({ status: 'active' }).expect(200);
    // Reactivated: the token issued before the suspension is gone for good.
    expect((await oidc.tokenIntrospection(machineConfig, cc.access_token)).active).toBe(false);
    await eventually(async () => (await logoutTokens('/suspended', vendor.clientId)).length === 1);

    const doomed = await backchannelClient('/deleted');
    const own = await makeUser(t, tenant.auth, { password: PASSWORD });
    const held = await signIn(doomed.config, new WebSession(t), own);
    await t.http.delete(`/api/v1/oidc/clients/${doomed.clientId}`).set('Authorization', t.admin).expect(204);
    await expect(oidc.fetchUserInfo(doomed.config, held.access_token, own.id)).rejects.toMatchObject({ status: 401 });
  });

  it('remembers consent per user and client across browsers until revoked on the account page', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const created = await createClient(t.admin, { name: 'Partner <App>' }).expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);

    const first = new WebSession(t);
    const request = await authorizationRequest(config, REDIRECT, { tenant: tenant.key });
    const flow = await browse(first, request.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    expect(flow.page?.text).toContain('Allow Partner &lt;App&gt; to sign you in?');
    const consentPage = new URL(flow.visited.at(-1)!);
    const allowed = await first.submit(`${consentPage.pathname}/consent`, { decision: 'allow' }, consentPage.pathname);
    expect((await browse(first, new URL(allowed.headers.location, consentPage).toString(), REDIRECT)).callback).not.toBeNull();
    const granted = await t.http.get('/api/v1/audit-events?action=oidc.authorization.granted').set('Authorization', t.admin).expect(200);
    expect(granted.body.items.some((e: { target: { id: string } }) => e.target.id === user.id)).toBe(true);

    // Another browser, another Portico session: no consent page this time.
    const second = new WebSession(t);
    const again = await signIn(config, second, user);
    expect(again.claims()!.sub).toBe(user.id);

    const account = await second.get('/account');
    expect(account.text).toContain('Partner &lt;App&gt;');
    const revoke = await second.postRaw(`/account/applications/${created.body.clientId}/revoke`, { _csrf: csrfOf(account.text) });
    expect(revoke.status).toBe(303);
    expect((await second.get('/account')).text).not.toContain('data-testid="applications"');
    await expect(oidc.fetchUserInfo(config, again.access_token, user.id)).rejects.toMatchObject({ status: 401 });
    const asked = await browse(second, (await authorizationRequest(config, REDIRECT)).url.toString(), REDIRECT);
    expect(asked.page?.text).toContain('to sign you in?');
  });

  it('prefills the sign-in page from login_hint', async () => {
    const { config } = await backchannelClient('/hint');
    const request = await authorizationRequest(config, REDIRECT, { tenant: tenant.key, login_hint: 'ada@example.com' });
    const outcome = await browse(new WebSession(t), request.url.toString(), REDIRECT);
    expect(outcome.page?.status).toBe(200);
    expect(outcome.page?.text).toContain('name="login" value="ada@example.com"');
  });

  it('refuses a tenant’s private back-channel URI (403), unsigned request objects, and malformed parameters without a 500', async () => {
    const privateUri = await createClient(tenant.auth, { backchannelLogoutUri: 'http://127.0.0.1:9/logout' }).expect(403);
    expect(privateUri.body.message).toContain('backchannelLogoutUri');
    const { clientId, config } = await backchannelClient('/attacks');
    const web = new WebSession(t);

    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none' })}.${b64({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid' })}.`;
    const noneRes = await web.get(
      `/oidc/auth?client_id=${clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&request=${unsigned}`,
    );
    expect(noneRes.status).toBeLessThan(500);
    expect(noneRes.headers.location ?? '').not.toContain('code=');
    expect(noneRes.headers.location ?? noneRes.text).toMatch(/error/);

    const malformed: Record<string, string>[] = [{ max_age: 'abc' }, { code_challenge: 'x'.repeat(5000) }, { prompt: 'none login' }];
    for (const extra of malformed) {
      const request = await authorizationRequest(config, REDIRECT, extra);
      const outcome = await browse(web, request.url.toString(), REDIRECT);
      expect({ extra, error: outcome.callback?.searchParams.get('error') }).toEqual({
        extra,
        error: expect.stringMatching(/invalid_request|login_required/),
      });
    }
    const dup = await web.get(`/oidc/auth?client_id=${clientId}&client_id=${clientId}&response_type=code&scope=openid`);
    expect(dup.status).toBe(400);
    const huge = await t.http
      .post('/oidc/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code: 'x'.repeat(300_000), client_id: clientId });
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
  });

  it('consumes a stored code exactly once when two consumes race', async () => {
    const store = t.app.get(OidcRepository);
    for (let i = 0; i < 5; i++) {
      const id = `race-${i}-${Date.now()}`;
      await store.upsert('AuthorizationCode', id, { jti: id }, new Date(Date.now() + 60_000));
      const results = await Promise.all([store.consume('AuthorizationCode', id), store.consume('AuthorizationCode', id)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.find('AuthorizationCode', id))?.consumedAt).toBeInstanceOf(Date);
    }
  });
});
