import * as oidc from 'openid-client';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { authorizationRequest, browse, relyingParty, startOidcApp } from '../support/oidc-rp';
import type { TestApp } from '../support/test-app';
import { csrfOf, WebSession } from '../support/web-session';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const PASSWORD = 'a long enough password 42';

/** The sessions page and API with a real OpenID Connect application holding a refresh token. */
describe.each(databaseKinds())('sessions and authorized applications (%s)', (kind) => {
  let t: TestApp & { issuer: string };
  let tenant: TenantFixture;

  beforeAll(async () => {
    t = await startOidcApp(kind);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());

  /** The user signs in at the application, allows it (offline access), and it gets its tokens. */
  async function authorize(web: WebSession, user: { email: string }, name: string) {
    const created = await t.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', tenant.auth)
      .send({ name, redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token'] })
      .expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const request = await authorizationRequest(config, REDIRECT, { tenant: tenant.key, scope: 'openid offline_access', prompt: 'consent' });
    const flow = await browse(web, request.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    const consentPage = new URL(flow.visited.at(-1)!);
    const allowed = await web.submit(`${consentPage.pathname}/consent`, { decision: 'allow' }, consentPage.pathname);
    const done = await browse(web, new URL(allowed.headers.location, consentPage).toString(), REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(config, done.callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    return { clientId: created.body.clientId as string, config, tokens };
  }

  it('lists the applications beside the sessions; DELETE ends both and the refresh token stops working', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const web = new WebSession(t);
    const app = await authorize(web, user, 'Ledger');
    const path = `/api/v1/users/${user.id}/sessions`;

    const listed = await t.http.get(path).set('Authorization', tenant.auth).expect(200);
    expect(listed.body.sessions).toHaveLength(1);
    expect(listed.body.applications).toMatchObject([
      { clientId: app.clientId, name: 'Ledger', scopes: expect.arrayContaining(['openid']) },
    ]);
    expect(Date.parse(listed.body.applications[0].grantedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await web.get('/account/sessions')).text).toContain('<td>Ledger</td>');

    await t.http.delete(path).set('Authorization', tenant.auth).expect(204);
    expect((await web.get('/account')).status).toBe(303);
    await expect(oidc.refreshTokenGrant(app.config, app.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await t.http.get(path).set('Authorization', tenant.auth).expect(200)).body).toEqual({ sessions: [], applications: [] });
  });

  it('revokes one application from the sessions page and comes back to it', async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const web = new WebSession(t);
    const app = await authorize(web, user, 'Atlas');
    const page = await web.get('/account/sessions');
    const revoked = await web.postRaw(`/account/applications/${app.clientId}/revoke`, { _csrf: csrfOf(page.text), back: 'sessions' });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.location).toBe('/account/sessions');
    const after = await web.get('/account/sessions');
    expect(after.text).toContain('Atlas can no longer sign you in without asking again.');
    expect(after.text).not.toContain('<td>Atlas</td>');
    // The Portico session itself stays.
    expect(after.text).toContain('data-testid="this-device"');
    await expect(oidc.refreshTokenGrant(app.config, app.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
