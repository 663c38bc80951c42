import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { startOidcApp } from '../support/oidc-rp';
import { accountOf, oidcTenant } from '../support/tenant-oidc';
import { startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

const PASSWORD = 'Quartz-Meadow-41-lantern';

/**
 * Portico federating with Portico: a second instance, with its own OpenID Connect provider, is the
 * tenant's provider. A person of that instance's partner tenant signs in there (password on its own
 * sign-in page) and lands in this instance's tenant with their organization from the `organizations` claim.
 */
describe.each(databaseKinds())('tenant OpenID Connect sign-in through another Portico (%s)', (kind) => {
  let t: TestApp;
  let provider: TestApp & { issuer: string };
  let problems: string[];

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    provider = await startOidcApp(kind);
  });
  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('signs a person of the other Portico in, with their organization and role', async () => {
    const partner = await makeTenant(provider);
    const org = await makeOrganization(provider, partner.auth, { name: 'Fjord Freight', externalUid: 'fjord-1' });
    const person = await makeUser(provider, partner.auth, {
      email: `ines-${kind}@fjord.example`,
      firstName: 'Ines',
      lastName: 'Berg',
      password: PASSWORD,
      organizationId: org.id,
      role: 'admin',
    });
    const tenant = await makeTenant(t);
    const redirectUri = `${t.config.publicUrl}/t/${tenant.key}/oidc/callback`;
    const client = await provider.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', provider.admin)
      .send({
        name: 'Portico downstream',
        tenantKey: partner.key,
        firstParty: true,
        redirectUris: [redirectUri],
        tokenEndpointAuthMethod: 'client_secret_post',
        scopes: ['openid', 'email', 'profile', 'organizations'],
      })
      .expect(201);
    await oidcTenant(
      t,
      { issuer: provider.issuer, clientId: client.body.clientId, clientSecret: client.body.clientSecret },
      {
        tokenEndpointAuthMethod: 'client_secret_post',
        scopes: 'openid email profile organizations',
        displayName: 'Fjord Portico',
        claimMapping: { groupUid: 'organizations.external_uid', groupName: 'organizations.name', groupRole: 'organizations.role' },
      },
      tenant,
    );

    // The browser: this Portico, the provider Portico (its own sign-in page, then back), this Portico again.
    const here = new WebSession(t);
    const there = new WebSession(provider);
    const providerOrigin = new URL(provider.baseUrl).origin;
    let url = new URL(`/t/${tenant.key}/oidc/init?next=/account`, t.baseUrl);
    let signedInThere = false;
    let last: { status: number; location?: string; text: string } | null = null;
    for (let hop = 0; hop < 20 && !last; hop++) {
      const atProvider = url.origin === providerOrigin;
      const res = await (atProvider ? there : here).get(url.pathname + url.search);
      if (atProvider && res.status === 200 && /\/login$/.test(url.pathname) && !signedInThere) {
        signedInThere = true;
        const posted = await there.submit(
          url.pathname,
          // The sign-in page carries where to go next (back to the provider's authorization) in its form.
          { login: person.email, password: PASSWORD, next: decode(/name="next" value="([^"]*)"/.exec(res.text)?.[1] ?? '/account') },
          url.pathname + url.search,
        );
        url = new URL(posted.headers.location, url);
        continue;
      }
      if ((res.status === 302 || res.status === 303) && (atProvider || /\/oidc\/init$/.test(url.pathname))) {
        const next = new URL(res.headers.location, url);
        // The provider sends the browser to this Portico's PUBLIC_URL: the same server.
        url = next.origin === providerOrigin ? next : new URL(next.pathname + next.search, t.baseUrl);
        continue;
      }
      last = { status: res.status, location: res.headers.location, text: res.text };
    }
    expect(signedInThere).toBe(true);
    expect(last).toMatchObject({ status: 303, location: '/account' });
    const account = await accountOf(here);
    expect(account.signedIn).toBe(true);
    expect(decode(account.text)).toContain(person.email);
    expect(decode(account.text)).toContain('Fjord Freight');

    const users = await t.http.get(`/api/v1/users?tenantKey=${tenant.key}`).set('Authorization', t.admin).expect(200);
    expect(users.body.items).toEqual([
      expect.objectContaining({ email: person.email, firstName: 'Ines', lastName: 'Berg', createdVia: 'oidc' }),
    ]);
    const links = await t.http.get('/api/v1/identity-links?provider=oidc&entityType=user').set('Authorization', tenant.auth).expect(200);
    // The provider's sub is its user id.
    expect(links.body.items).toEqual([expect.objectContaining({ localId: users.body.items[0].id, foreignId: person.id })]);
    const orgs = await t.http.get(`/api/v1/organizations?tenantKey=${tenant.key}`).set('Authorization', t.admin).expect(200);
    const localOrg = orgs.body.items.find((o: { externalUid: string }) => o.externalUid === 'fjord-1');
    expect(localOrg).toMatchObject({ name: 'Fjord Freight' });
    const members = await t.http.get(`/api/v1/organizations/${localOrg.id}/members`).set('Authorization', t.admin).expect(200);
    expect(members.body.items).toEqual([expect.objectContaining({ userId: users.body.items[0].id, role: 'admin' })]);
  });
});
