import { MailService } from '@portico/mail';
import * as oidc from 'openid-client';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, type TenantFixture } from '../support/factories';
import { authorizationRequest, browse, relyingParty, startOidcApp } from '../support/oidc-rp';
import type { TestApp } from '../support/test-app';
import { WebSession } from '../support/web-session';
import { eventually } from '../support/webhook-receiver';

const REDIRECT = 'http://127.0.0.1:8765/callback';
const PASSWORD = 'a long enough password 42';
const NEW_PASSWORD = 'another long password 77';

/** A reset through the mailed link ends what the OpenID Connect provider issued, through the user.password_reset event. */
describe.each(databaseKinds())('password reset and OpenID Connect tokens (%s)', (kind) => {
  let t: TestApp & { issuer: string };
  let tenant: TenantFixture;

  beforeAll(async () => {
    t = await startOidcApp(kind);
    tenant = await makeTenant(t);
  });
  afterAll(async () => t?.close());

  it("revokes the user's access and refresh tokens", async () => {
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const created = await t.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', t.admin)
      .send({ name: 'App', redirectUris: [REDIRECT], firstParty: true, grantTypes: ['authorization_code', 'refresh_token'] })
      .expect(201);
    const config = await relyingParty(t.issuer, created.body.clientId, created.body.clientSecret);
    const request = await authorizationRequest(config, REDIRECT, {
      tenant: tenant.key,
      scope: 'openid email offline_access',
      prompt: 'consent',
    });
    const outcome = await browse(new WebSession(t), request.url.toString(), REDIRECT, { login: user.email, password: PASSWORD });
    const tokens = await oidc.authorizationCodeGrant(config, outcome.callback!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
    });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    // The API made the user, so the address counts as verified, and the provider says so.
    expect((await oidc.fetchUserInfo(config, tokens.access_token, user.id)).email_verified).toBe(true);

    // Without SMTP_URL the reset mail waits in the Mailbox: its link is read there.
    await t.http.post(`/api/v1/users/${user.id}/password-reset`).set('Authorization', tenant.auth).expect(202);
    const mail = t.app.get(MailService);
    const [listed] = (await mail.list({ limit: 10, offset: 0 })).items.filter((m) => m.to === user.email);
    const link = new URL(/http:\/\/\S+\/password\/reset\?token=[\w-]+/.exec((await mail.read(listed.id))!.text!)![0]);
    const token = link.searchParams.get('token')!;
    const web = new WebSession(t);
    const done = await web.submit(
      `/t/${tenant.key}/password/reset`,
      { token, password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD },
      `${link.pathname}${link.search}`,
    );
    expect(done.status).toBe(200);

    await eventually(async () => (await oidc.tokenIntrospection(config, tokens.access_token)).active === false);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
