import { makeTenant, TenantFixture } from './factories';
import { authnRequestOf, TestIdp } from './saml-idp';
import type { TestApp } from './test-app';
import { WebSession } from './web-session';

export interface SamlTenant {
  tenant: TenantFixture;
  acsUrl: string;
  spEntityId: string;
  spCertificate: string;
}

/** A tenant with SAML sign-in on and its connection pointed at `idp`, through the API. */
export async function samlTenant(t: TestApp, idp: TestIdp, extra: Record<string, unknown> = {}): Promise<SamlTenant> {
  const tenant = await makeTenant(t);
  await t.http
    .put(`/api/v1/tenants/${tenant.key}/settings`)
    .set('Authorization', t.admin)
    .send({ methods: { password: true, saml: true, ldap: false, external: false } })
    .expect(200);
  const res = await t.http
    .put(`/api/v1/tenants/${tenant.key}/saml`)
    .set('Authorization', t.admin)
    .send({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.keys.certPem], enabled: true, ...extra })
    .expect(200);
  return { tenant, acsUrl: res.body.acsUrl, spEntityId: res.body.spEntityId, spCertificate: res.body.spCertificate };
}

/** Starts an SP-initiated sign-in in the browser session; the AuthnRequest id the IdP must answer. */
export async function startSignIn(session: WebSession, key: string, next = '/account'): Promise<string> {
  const res = await session.get(`/t/${key}/saml/init?next=${encodeURIComponent(next)}`);
  if (res.status !== 302) throw new Error(`init answered ${res.status}: ${res.text.slice(0, 300)}`);
  return authnRequestOf(res.headers.location).id;
}

export function postResponse(session: WebSession, key: string, samlResponse: string, relayState?: string) {
  return session.postRaw(`/t/${key}/saml/consume`, {
    SAMLResponse: samlResponse,
    ...(relayState !== undefined ? { RelayState: relayState } : {}),
  });
}

/** Whether the browser session is signed in: the account page shows, rather than sending it to sign in. */
export async function accountPage(session: WebSession): Promise<{ signedIn: boolean; text: string }> {
  const res = await session.get('/account');
  return { signedIn: res.status === 200, text: res.text };
}

export async function userCount(t: TestApp, tenantKey: string): Promise<number> {
  const res = await t.http.get(`/api/v1/users?tenantKey=${tenantKey}&limit=1`).set('Authorization', t.admin).expect(200);
  return res.body.total;
}
