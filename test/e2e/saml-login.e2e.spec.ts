import { createPublicKey, verify } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../apps/server/src/create-app';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeUser } from '../support/factories';
import { authnRequestOf, requireXmlsec, TestIdp } from '../support/saml-idp';
import { accountPage, postResponse, samlTenant, SamlTenant, startSignIn, userCount } from '../support/saml-setup';
import { startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

const run = requireXmlsec() ? describe.each(databaseKinds()) : describe.skip.each(databaseKinds());

/** SAML sign-in that works: SP-initiated and IdP-initiated, provisioning, the refusals a person can run into. */
run('SAML sign-in (%s)', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let st: SamlTenant;
  let problems: string[];

  const base = (nameId: string, extra: Record<string, unknown> = {}) => ({
    acsUrl: st.acsUrl,
    spEntityId: st.spEntityId,
    idpEntityId: idp.entityId,
    nameId,
    ...extra,
  });

  beforeAll(async () => {
    idp = new TestIdp();
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    st = await samlTenant(t, idp);
  });
  afterAll(async () => {
    await t?.close();
    idp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('serves SP metadata with the entity id, the ACS URL and the signing certificate', async () => {
    const res = await t.http.get(`/t/${st.tenant.key}/saml/metadata`).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/samlmetadata\+xml/);
    expect(res.text).toContain(`entityID="${st.spEntityId}"`);
    expect(res.text).toContain(`Location="${st.acsUrl}"`);
    expect(res.text).toContain('AuthnRequestsSigned="true"');
    expect(res.text.replace(/\s/g, '')).toContain(st.spCertificate.replace(/-----[^-]+-----|\s/g, ''));
    await t.http.get('/t/no-such-tenant/saml/metadata').expect(404);
  });

  it("offers single sign-on on the tenant's sign-in page only while it is on", async () => {
    const session = new WebSession(t);
    const page = await session.get(`/t/${st.tenant.key}/login?next=/account`);
    expect(decode(page.text)).toContain(`href="/t/${st.tenant.key}/saml/init?next=%2Faccount" data-testid="sso-sign-in"`);
    expect((await session.get('/login')).text).not.toContain('sso-sign-in');
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ enabled: false }).expect(200);
    expect((await session.get(`/t/${st.tenant.key}/login`)).text).not.toContain('sso-sign-in');
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ enabled: true }).expect(200);
  });

  it('redirects to the IdP with an AuthnRequest signed with RSA-SHA256 by the SP key', async () => {
    const session = new WebSession(t);
    const res = await session.get(`/t/${st.tenant.key}/saml/init?next=/account`);
    expect(res.status).toBe(302);
    const { xml, url, id } = authnRequestOf(res.headers.location);
    expect(`${url.origin}${url.pathname}`).toBe(idp.ssoUrl);
    expect(id).toMatch(/^_[0-9a-f]{40}$/);
    expect(xml).toContain(`AssertionConsumerServiceURL="${st.acsUrl}"`);
    expect(url.searchParams.get('RelayState')).toBe('/account');
    expect(url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    // The redirect binding signs the query string itself: checked with Node's crypto against the published certificate.
    const signed = url.search
      .slice(1)
      .split('&')
      .filter((p) => !p.startsWith('Signature='))
      .join('&');
    const ok = verify(
      'RSA-SHA256',
      Buffer.from(signed),
      createPublicKey(st.spCertificate),
      Buffer.from(url.searchParams.get('Signature')!, 'base64'),
    );
    expect(ok).toBe(true);
  });

  it('signs in with a signed assertion, provisions user, organization and membership, and lands on RelayState', async () => {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key, '/account?tab=profile');
    const before = await userCount(t, st.tenant.key);
    const res = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(
        base('uid-ada', {
          inResponseTo: requestId,
          attributes: {
            email: 'ada@acme.example',
            name: 'Ada',
            surname: 'Lovelace',
            group_uid: 'grp-1',
            group_name: 'Analytical',
            group_role: 'Admin',
          },
        }),
      ),
      '/account?tab=profile',
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account?tab=profile');
    const page = await accountPage(session);
    expect(page.signedIn).toBe(true);
    expect(decode(page.text)).toContain('ada@acme.example');
    expect(await userCount(t, st.tenant.key)).toBe(before + 1);
    const users = await t.http
      .get(`/api/v1/users?tenantKey=${st.tenant.key}&email=ada@acme.example`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(users.body.items[0]).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', createdVia: 'saml' });
    const orgs = await t.http
      .get(`/api/v1/organizations?tenantKey=${st.tenant.key}&externalUid=grp-1`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(orgs.body.items[0]).toMatchObject({ name: 'Analytical', externalUid: 'grp-1' });
    const members = await t.http.get(`/api/v1/organizations/${orgs.body.items[0].id}/members`).set('Authorization', t.admin).expect(200);
    expect(members.body.items).toEqual([expect.objectContaining({ email: 'ada@acme.example', role: 'admin' })]);
  });

  it('signs in with a signed Response, finding the same user again through the NameID', async () => {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    const before = await userCount(t, st.tenant.key);
    // The email changed at the IdP: the NameID still names the same person.
    const res = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-ada', { sign: 'response', inResponseTo: requestId, attributes: { email: 'ada.new@acme.example' } })),
    );
    expect(res.headers.location).toBe('/account');
    const page = await accountPage(session);
    expect(page.signedIn).toBe(true);
    expect(decode(page.text)).toContain('ada@acme.example');
    expect(await userCount(t, st.tenant.key)).toBe(before);
  });

  it('links an existing user of the tenant by email, and never sends RelayState off-site', async () => {
    const existing = await makeUser(t, st.tenant.auth, { email: 'grace@acme.example' });
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    const res = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-grace', { inResponseTo: requestId, attributes: { email: 'grace@acme.example' } })),
      'https://evil.example/phish',
    );
    expect(res.headers.location).toBe('/account');
    expect((await accountPage(session)).signedIn).toBe(true);
    const users = await t.http
      .get(`/api/v1/users?tenantKey=${st.tenant.key}&email=grace@acme.example`)
      .set('Authorization', t.admin)
      .expect(200);
    expect(users.body.items.map((u: { id: string }) => u.id)).toEqual([existing.id]);
  });

  it('shares request ids and the replay cache between instances on the same database', async () => {
    // A second server on the same database, as behind a load balancer.
    const second = await createApp(t.config);
    await second.init();
    try {
      const session = new WebSession(t);
      const requestId = await startSignIn(session, st.tenant.key);
      const response = idp.signedResponse(base('uid-lb', { inResponseTo: requestId, attributes: { email: 'lb@acme.example' } }));
      const viaSecond = await request(second.getHttpServer())
        .post(`/t/${st.tenant.key}/saml/consume`)
        .type('form')
        .set('Accept', 'text/html')
        .send({ SAMLResponse: response });
      expect(viaSecond.status).toBe(303);
      const replayed = await postResponse(session, st.tenant.key, response);
      expect(replayed.status).toBe(403);
      expect(decode(replayed.text)).toContain('This assertion was already used');
    } finally {
      await second.close();
    }
  });

  it('refuses IdP-initiated responses unless the tenant allows them', async () => {
    const session = new WebSession(t);
    const res = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-idp-init', { attributes: { email: 'idpinit@acme.example' } })),
    );
    expect(res.status).toBe(403);
    expect(decode(res.text)).toContain('does not accept IdP-initiated sign-in');
    expect((await accountPage(session)).signedIn).toBe(false);

    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ allowIdpInitiated: true }).expect(200);
    const again = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-idp-init', { attributes: { email: 'idpinit@acme.example' } })),
    );
    expect(again.status).toBe(303);
    expect((await accountPage(session)).signedIn).toBe(true);
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ allowIdpInitiated: false }).expect(200);
  });

  it('accepts clocks that differ within the configured skew (default 2 minutes), and no further', async () => {
    const early = (requestId: string) => idp.signedResponse(base('uid-ada', { inResponseTo: requestId, notBefore: 60 }));
    const session = new WebSession(t);
    expect((await postResponse(session, st.tenant.key, early(await startSignIn(session, st.tenant.key)))).status).toBe(303);
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ clockSkewSeconds: 0 }).expect(200);
    const strict = new WebSession(t);
    const res = await postResponse(strict, st.tenant.key, early(await startSignIn(strict, st.tenant.key)));
    expect(res.status).toBe(403);
    expect(decode(res.text)).toMatch(/not yet valid/i);
    expect((await accountPage(strict)).signedIn).toBe(false);
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ clockSkewSeconds: 120 }).expect(200);
  });

  it('puts new users without a group into the default organization', async () => {
    const org = await makeOrganization(t, st.tenant.auth, { name: 'Default SSO org' });
    await t.http
      .put(`/api/v1/tenants/${st.tenant.key}/saml`)
      .set('Authorization', t.admin)
      .send({ defaultOrganizationId: org.id })
      .expect(200);
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-nogroup', { inResponseTo: requestId, attributes: { email: 'nogroup@acme.example' } })),
    );
    expect((await accountPage(session)).signedIn).toBe(true);
    const members = await t.http.get(`/api/v1/organizations/${org.id}/members`).set('Authorization', t.admin).expect(200);
    expect(members.body.items).toEqual([expect.objectContaining({ email: 'nogroup@acme.example', role: 'member' })]);
    await t.http
      .put(`/api/v1/tenants/${st.tenant.key}/saml`)
      .set('Authorization', t.admin)
      .send({ defaultOrganizationId: null })
      .expect(200);
  });

  it('without just-in-time provisioning, refuses people Portico does not know and creates nothing', async () => {
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ jitProvisioning: false }).expect(200);
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    const before = await userCount(t, st.tenant.key);
    const res = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-stranger', { inResponseTo: requestId, attributes: { email: 'stranger@acme.example' } })),
    );
    expect(res.status).toBe(403);
    expect(decode(res.text)).toContain('There is no Portico account for you in this tenant');
    expect((await accountPage(session)).signedIn).toBe(false);
    expect(await userCount(t, st.tenant.key)).toBe(before);
    await t.http.put(`/api/v1/tenants/${st.tenant.key}/saml`).set('Authorization', t.admin).send({ jitProvisioning: true }).expect(200);
  });

  it('gives disabled users no session', async () => {
    const user = await makeUser(t, st.tenant.auth, { email: 'disabled@acme.example', status: 'disabled' });
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    const res = await postResponse(
      session,
      st.tenant.key,
      idp.signedResponse(base('uid-disabled', { inResponseTo: requestId, attributes: { email: user.email } })),
    );
    expect(res.status).toBe(403);
    expect(decode(res.text)).toContain('This account is disabled');
    expect((await accountPage(session)).signedIn).toBe(false);
  });

  it('refuses with a clear page while the tenant has SAML turned off', async () => {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    await t.http
      .put(`/api/v1/tenants/${st.tenant.key}/settings`)
      .set('Authorization', t.admin)
      .send({ methods: { password: true, saml: false, ldap: false, external: false } })
      .expect(200);
    const res = await postResponse(session, st.tenant.key, idp.signedResponse(base('uid-ada', { inResponseTo: requestId })));
    expect(res.status).toBe(403);
    expect(decode(res.text)).toContain('Signing in with SAML is turned off for this tenant');
    expect((await accountPage(session)).signedIn).toBe(false);
    const init = await session.get(`/t/${st.tenant.key}/saml/init`);
    expect(init.status).toBe(403);
    expect(decode(init.text)).toContain('Signing in with SAML is turned off');
    await t.http
      .put(`/api/v1/tenants/${st.tenant.key}/settings`)
      .set('Authorization', t.admin)
      .send({ methods: { password: true, saml: true, ldap: false, external: false } })
      .expect(200);
  });

  it('gives a suspended tenant no session', async () => {
    const session = new WebSession(t);
    const requestId = await startSignIn(session, st.tenant.key);
    await t.http.patch(`/api/v1/tenants/${st.tenant.key}`).set('Authorization', t.admin).send({ status: 'suspended' }).expect(200);
    const res = await postResponse(session, st.tenant.key, idp.signedResponse(base('uid-ada', { inResponseTo: requestId })));
    expect(res.status).toBe(403);
    expect(decode(res.text)).toContain('This tenant is suspended');
    expect((await accountPage(session)).signedIn).toBe(false);
    await t.http.patch(`/api/v1/tenants/${st.tenant.key}`).set('Authorization', t.admin).send({ status: 'active' }).expect(200);
  });
});
