import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { signInFlow, TestOidcIdp } from '../support/tenant-oidc';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

/** The tenant's OpenID Connect tab in the console: settings, discovered endpoints, and the test sign-in. */
describe.each(databaseKinds())('console: tenant OpenID Connect tab (%s)', (kind) => {
  let t: TestApp;
  let idp: TestOidcIdp;
  let tenant: TenantFixture;
  let admin: WebSession;
  let problems: string[];
  const page = () => `/console/tenants/${tenant.key}/oidc`;
  const errorsOf = (html: string) =>
    [...(/data-testid="form-errors"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  const settingsForm = (extra: Record<string, string> = {}) => ({
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    tokenEndpointAuthMethod: 'client_secret_basic',
    scopes: 'openid email profile groups',
    allowPrivateNetwork: 'on',
    jitProvisioning: 'on',
    map_email: 'email',
    map_firstName: 'given_name',
    map_lastName: 'family_name',
    map_groupUid: 'group_uid',
    map_groupName: 'group_name',
    map_groupRole: 'group_role',
    ...extra,
  });

  beforeAll(async () => {
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    idp = await TestOidcIdp.start([`${t.config.publicUrl}/t/${tenant.key}/oidc/callback`]);
    idp.add({
      sub: 'idp-lin',
      email: 'lin@partner.example',
      email_verified: true,
      given_name: 'Lin',
      family_name: 'Chen',
      group_uid: 'g-1',
      group_name: 'Lin Co',
      group_role: 'owner',
    });
    admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('shows the tab with the redirect URI to register before anything is configured', async () => {
    const res = await admin.get(page());
    expect(res.status).toBe(200);
    const html = decode(res.text);
    expect(html).toMatch(/<a href="\/console\/tenants\/[^"]+\/oidc" class="active" aria-current="page">OpenID Connect<\/a>/);
    expect(html).toContain(`data-testid="redirect-uri">${t.config.publicUrl}/t/${tenant.key}/oidc/callback</code>`);
    expect(html).toContain('data-copy="redirect-uri"');
    expect(html).toContain(`data-testid="client-jwks-uri">${t.config.publicUrl}/t/${tenant.key}/oidc/jwks</code>`);
    expect(html).toContain('data-testid="not-discovered"');
    expect(html).toMatch(/data-testid="oidc-status">sign-in off/);
    expect(html).toMatch(/<button type="submit" disabled data-testid="start-test">/);
  });

  it('says what is wrong with a form, naming the field, and keeps what was typed', async () => {
    const res = await admin.submit(page(), settingsForm({ issuer: 'ftp://nope', scopes: 'email' }));
    expect(res.status).toBe(400);
    const errors = errorsOf(res.text);
    expect(errors.join(' ')).toMatch(/Issuer: must be the provider’s https:\/\/ issuer URL/);
    expect(errors.join(' ')).toMatch(/Scopes: .*openid/);
    expect(decode(res.text)).toContain('value="ftp://nope"');
    const loopback = await admin.submit(page(), settingsForm({ allowPrivateNetwork: '' }));
    expect(loopback.status).toBe(400);
    expect(errorsOf(loopback.text).join(' ')).toMatch(/discovery .* failed/);
  });

  it('saves the provider, shows the discovered endpoints and a stored (never shown) secret, with the default organization by name', async () => {
    const org = await makeOrganization(t, tenant.auth, { name: 'Default Partners' });
    const saved = await admin.submit(page(), settingsForm({ defaultOrganizationId: org.id, displayName: 'Partner SSO' }));
    expect(saved.status).toBe(303);
    const html = decode((await admin.get(page())).text);
    expect(html).toContain('OpenID Connect settings saved');
    expect(html).toContain(`<dt>Authorization</dt><dd class="mono">${idp.issuer}/auth</dd>`);
    expect(html).toContain(`<dt>JWKS</dt><dd class="mono">${idp.issuer}/jwks</dd>`);
    expect(html).toContain('data-testid="secret-set"');
    expect(html).not.toContain(idp.clientSecret);
    expect(html).toMatch(new RegExp(`<option value="${org.id}" selected>Default Partners</option>`));
    // Saving again with the secret left empty keeps it.
    await admin.submit(page(), settingsForm({ clientSecret: '', displayName: 'Partner SSO' }));
    const api = await t.http.get(`/api/v1/tenants/${tenant.key}/oidc`).set('Authorization', t.admin).expect(200);
    expect(api.body).toMatchObject({ clientSecretSet: true, displayName: 'Partner SSO', defaultOrganizationId: null, enabled: false });
  });

  it('runs a test sign-in that shows the claims and what a real one would do, and creates nothing', async () => {
    const usersBefore = (await t.http.get(`/api/v1/users?tenantKey=${tenant.key}`).set('Authorization', t.admin).expect(200)).body.total;
    idp.nextAccount = 'idp-lin';
    const started = await admin.submit(`${page()}/test`, {}, page());
    expect(started.status).toBe(303);
    expect(started.headers.location).toMatch(new RegExp(`^${idp.issuer}/auth\\?`));
    expect(new URL(started.headers.location).searchParams.get('prompt')).toBe('login');
    const back = await signInFlow(admin, started.headers.location);
    expect(back.status).toBe(303);
    expect(back.location).toMatch(new RegExp(`^/console/tenants/${tenant.key}/oidc/test/[0-9a-f]{32}$`));
    const result = await admin.get(back.location!);
    expect(result.status).toBe(200);
    const html = decode(result.text);
    expect(html).toContain("The provider's answer passed every check");
    expect(html).toContain('data-testid="test-subject">idp-lin</dd>');
    expect(html).toMatch(/data-testid="test-email">lin@partner.example <span class="badge ok">verified/);
    expect(html).toMatch(/<td class="mono">group_name<\/td><td class="mono">Lin Co<\/td>/);
    expect(html).toMatch(/data-testid="test-user-action">create the user \(lin@partner.example\)/);
    expect(html).toContain('create the organization “Lin Co” and make them a member');
    // Shown once; nothing was created; the admin is still the admin.
    expect((await admin.get(back.location!)).status).toBe(404);
    expect((await t.http.get(`/api/v1/users?tenantKey=${tenant.key}`).set('Authorization', t.admin).expect(200)).body.total).toBe(
      usersBefore,
    );
    expect((await admin.get('/console')).status).toBe(200);
  });

  it('explains a refusal the test sign-in foresees: an unverified email that matches an account', async () => {
    await makeUser(t, tenant.auth, { email: 'kim@partner.example' });
    idp.add({ sub: 'idp-kim', email: 'kim@partner.example', email_verified: false });
    idp.nextAccount = 'idp-kim';
    const started = await admin.submit(`${page()}/test`, {}, page());
    const back = await signInFlow(admin, started.headers.location);
    const html = decode((await admin.get(back.location!)).text);
    expect(html).toMatch(/data-testid="test-email">kim@partner.example <span class="badge warn">not verified/);
    expect(html).toMatch(
      /refuse the sign-in \(kim@partner.example\): a user with this email exists, but the provider does not say the address is verified/,
    );
  });

  it('asks before turning sign-in through the provider off; the first save changes nothing', async () => {
    const enabled = async () => (await t.http.get(`/api/v1/tenants/${tenant.key}/oidc`).set('Authorization', t.admin)).body.enabled;
    expect((await admin.submit(page(), settingsForm({ clientSecret: '', enabled: 'on' }))).status).toBe(303);
    expect(await enabled()).toBe(true);
    const asked = await admin.submit(page(), settingsForm({ clientSecret: '' }));
    expect(asked.status).toBe(200);
    expect(decode(asked.text)).toMatch(/Turn off OpenID Connect sign-in for “[^”]+”\?[\s\S]*button leaves this tenant's sign-in page/);
    expect(await enabled()).toBe(true);
    const carried = Object.fromEntries(
      [...asked.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], decode(m[2])]),
    );
    expect((await admin.postRaw(page(), carried)).status).toBe(303);
    expect(await enabled()).toBe(false);
  });

  it('offers the OpenID Connect switch on the global and the tenant authentication forms', async () => {
    const global = decode((await admin.get('/console/settings/authentication')).text);
    expect(global).toMatch(/<input type="checkbox" name="oidc"/);
    const overview = decode((await admin.get(`/console/tenants/${tenant.key}`)).text);
    expect(overview).toMatch(/name="oidc"/);
    expect(overview).toContain('OpenID Connect');
  });
});
