import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { groupDn, GROUPS, PEOPLE, SERVICE_DN, Slapd, slapdPresent, SUFFIX, userDn } from '../support/slapd';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { decode, realProblems, WebSession } from '../support/web-session';

const run = slapdPresent('LDAP console e2e');
const CSRF_REFUSED = 'This form has expired or did not come from Portico';

/** The console's LDAP pages: a tenant's LDAP tab, the global directories, the test action; forms with CSRF. */
(run ? describe : describe.skip).each(databaseKinds())('console: LDAP directories (%s)', (kind) => {
  let t: TestApp;
  let slapd: Slapd;
  let problems: string[];
  let admin: WebSession;
  let tenant: TenantFixture;
  const api = () => ({ Authorization: t.admin });
  const tab = () => `/console/tenants/${tenant.key}/ldap`;
  const errorsOf = (html: string) =>
    [...(/data-testid="form-errors"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  /** The test result panel's text, as a person reads it. */
  const testResultOf = (html: string) => {
    const start = html.indexOf('data-testid="test-result"');
    if (start < 0) return '';
    const panel = html.slice(start, html.indexOf('<form', start));
    return decode(
      panel
        .replace(/^[^>]*>/, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    );
  };
  const form = (extra: Record<string, string> = {}) => ({
    name: 'Acme directory',
    url: slapd.ldapsUrl,
    timeoutMs: '4000',
    caCertificate: slapd.pki.ca,
    bindDn: SERVICE_DN,
    bindPassword: slapd.servicePassword,
    preset: 'openldap',
    previousPreset: 'openldap',
    searchBase: `ou=people,${SUFFIX}`,
    searchFilter: '',
    usernameAttribute: '',
    emailAttribute: '',
    firstNameAttribute: '',
    lastNameAttribute: '',
    groupsAttribute: '',
    groupSearchBase: '',
    groupSearchFilter: '',
    groupRoleMapping: `admin: ${groupDn(GROUPS.admins)}\nmember: ${groupDn(GROUPS.staff)}`,
    jitProvisioning: 'on',
    enabled: 'on',
    ...extra,
  });
  const directories = async (tenantKey: string | null) =>
    (
      (await t.http.get('/api/v1/ldap-directories').query({ limit: '500' }).set(api()).expect(200)).body.items as {
        id: string;
        name: string;
        tenantKey: string | null;
        bindPasswordSet: boolean;
        searchFilter: string;
        groupRoleMapping: Record<string, string>;
        preset: string;
        attributeMapping: Record<string, string | null>;
        groupSearchFilter: string | null;
        startTls: boolean;
      }[]
    ).filter((d) => d.tenantKey === tenantKey);

  beforeAll(async () => {
    slapd = await Slapd.start({ users: Object.values(PEOPLE), groups: Object.values(GROUPS) });
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    await makeOrganization(t, tenant.auth, { name: 'Acme admins', externalUid: 'admins' });
    admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('shows the tenant’s LDAP tab, saying when LDAP is off for the tenant', async () => {
    const res = await admin.get(tab());
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<a href="\/console\/tenants\/[^"]+\/ldap" class="active" aria-current="page">LDAP<\/a>/);
    expect(res.text).toContain('No directory yet');
    expect(res.text).toContain('data-testid="ldap-off"');
    // The preset's values are filled in, so the administrator sees what they will get.
    expect(decode(res.text)).toContain('value="(&(objectClass=inetOrgPerson)(uid={{username}}))"');
    expect((await admin.get('/console/tenants/no-such-tenant/ldap')).status).toBe(404);
  });

  it('creates a directory from the form, saying in words what is wrong first', async () => {
    const bad = await admin.submit(tab(), form({ url: 'https://ldap.example.org', groupRoleMapping: 'superuser cn=x' }));
    expect(bad.status).toBe(400);
    expect(errorsOf(bad.text)).toEqual([expect.stringMatching(/^Group mapping, line 1: write “role: group DN”/)]);
    expect(bad.text).not.toContain(slapd.servicePassword);
    const badUrl = await admin.submit(tab(), form({ url: 'https://ldap.example.org', startTls: 'on', searchFilter: '(uid=x)' }));
    expect(badUrl.status).toBe(400);
    expect(errorsOf(badUrl.text)).toEqual([
      'URL must start with ldap:// or ldaps://',
      'Search filter must contain the placeholder {{username}}',
    ]);
    // What was typed stays, except the password.
    expect(badUrl.text).toContain('value="https://ldap.example.org"');

    const created = await admin.submit(tab(), form());
    expect(created.status).toBe(303);
    const [d] = await directories(tenant.key);
    expect(created.headers.location).toBe(`${tab()}/${d.id}`);
    expect(d).toMatchObject({
      name: 'Acme directory',
      bindPasswordSet: true,
      searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
      groupRoleMapping: { [groupDn(GROUPS.admins)]: 'admin', [groupDn(GROUPS.staff)]: 'member' },
    });
    const page = await admin.get(`${tab()}/${d.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Directory “Acme directory” created');
    expect(page.text).toContain('data-testid="transport">LDAPS');
    expect(page.text).not.toContain(slapd.servicePassword);
    expect(decode(page.text)).toContain(`admin: ${groupDn(GROUPS.admins)}`);
    expect((await admin.get(tab())).text).toContain(`href="${tab()}/${d.id}"`);
  });

  it('tests a user: bind, search and the mapped attributes and roles, creating nothing', async () => {
    const [d] = await directories(tenant.key);
    const res = await admin.submit(`${tab()}/${d.id}/test`, { username: 'ada', password: PEOPLE.ada.password }, `${tab()}/${d.id}`);
    expect(res.status).toBe(200);
    const shown = testResultOf(res.text);
    expect(shown).toContain('authenticated');
    expect(shown).toContain(userDn(PEOPLE.ada));
    expect(shown).toContain('ada@acme.example');
    expect(shown).toMatch(/admin in Acme admins/);
    expect(shown).toMatch(new RegExp(`member in no organization for ${groupDn(GROUPS.staff).replace(/[=,]/g, '.')}`));
    expect(res.text).not.toContain(PEOPLE.ada.password);
    expect((await t.http.get('/api/v1/users').query({ tenantKey: tenant.key }).set(api()).expect(200)).body.total).toBe(0);

    const wrong = await admin.submit(`${tab()}/${d.id}/test`, { username: 'ada', password: 'nope' }, `${tab()}/${d.id}`);
    expect(testResultOf(wrong.text)).toMatch(/wrong-password/);
    const missing = await admin.submit(`${tab()}/${d.id}/test`, { username: '*)(uid=*' }, `${tab()}/${d.id}`);
    expect(testResultOf(missing.text)).toMatch(/not-found/);
    expect(decode(missing.text)).toContain('value="*)(uid=*"');
  });

  it('saves changes, keeps the bind password, and follows a new preset where the old one’s values were', async () => {
    const [d] = await directories(tenant.key);
    const page = `${tab()}/${d.id}`;
    const current = form({
      previousPreset: 'openldap',
      searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
      usernameAttribute: 'uid',
      emailAttribute: 'mail',
      firstNameAttribute: 'givenName',
      lastNameAttribute: 'sn',
      groupsAttribute: 'memberOf',
      groupSearchFilter: '(&(objectClass=groupOfNames)(member={{dn}}))',
      bindPassword: '',
    });
    const saved = await admin.submit(page, { ...current, name: 'Acme LDAP', preset: 'active-directory' });
    expect(saved.status).toBe(303);
    const [after] = await directories(tenant.key);
    expect(after).toMatchObject({
      name: 'Acme LDAP',
      preset: 'active-directory',
      bindPasswordSet: true,
      searchFilter: expect.stringContaining('sAMAccountName={{username}}'),
      attributeMapping: { username: 'sAMAccountName', groups: 'memberOf' },
      groupSearchFilter: null,
    });
    // The test through the bind password that was kept still binds the service account.
    const tested = await admin.submit(`${page}/test`, { username: 'ada' }, page);
    expect(testResultOf(tested.text)).toMatch(/not-found/); // AD's filter finds no inetOrgPerson: the bind worked
    const back = await admin.submit(page, {
      ...current,
      preset: 'openldap',
      previousPreset: 'active-directory',
      searchFilter: after.searchFilter,
      usernameAttribute: 'sAMAccountName',
      groupSearchFilter: '',
    });
    expect(back.status).toBe(303);
    expect((await directories(tenant.key))[0]).toMatchObject({
      preset: 'openldap',
      searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
      attributeMapping: { username: 'uid' },
    });
  });

  it('asks before turning a directory off, saves nothing until confirmed, and never carries a typed password', async () => {
    const [d] = await directories(tenant.key);
    const page = `${tab()}/${d.id}`;
    const { enabled: _on, ...off } = form({ name: d.name, bindPassword: 'typed-Secret-9' });
    const asked = await admin.submit(page, off);
    expect(asked.status).toBe(200);
    expect(decode(asked.text)).toContain(`Turn off directory “${d.name}”?`);
    expect(decode(asked.text)).toContain('nobody can sign in through it');
    expect(decode(asked.text)).toContain('The new secret you typed is not saved by this step');
    expect(asked.text).not.toContain('typed-Secret-9');
    expect((await directories(tenant.key))[0]).toMatchObject({ enabled: true });
    const carried = Object.fromEntries(
      [...asked.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], decode(m[2])]),
    );
    expect(carried).toMatchObject({ confirmTurnOff: 'yes', name: d.name });
    expect((await admin.postRaw(page, carried)).status).toBe(303);
    expect((await directories(tenant.key))[0]).toMatchObject({ enabled: false, bindPasswordSet: true });
    expect((await admin.submit(page, form({ name: d.name }))).status).toBe(303);
    expect((await directories(tenant.key))[0]).toMatchObject({ enabled: true });
  });

  it('refuses every form without its CSRF token', async () => {
    const [d] = await directories(tenant.key);
    for (const [path, body] of [
      [tab(), form({ name: 'Sneaky' })],
      [`${tab()}/${d.id}`, form({ name: 'Sneaky' })],
      [`${tab()}/${d.id}/test`, { username: 'ada', password: PEOPLE.ada.password }],
      [`${tab()}/${d.id}/delete`, {}],
      ['/console/ldap-directories', form({ name: 'Sneaky' })],
    ] as const) {
      const res = await admin.postRaw(path, body);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.text).toContain(CSRF_REFUSED);
    }
    expect((await directories(tenant.key)).map((x) => x.name)).not.toContain('Sneaky');
  });

  it('keeps global directories on their own page, and a tenant’s directory under its own tenant only', async () => {
    const created = await admin.submit('/console/ldap-directories', form({ name: 'Head office', url: slapd.ldapUrl, startTls: 'on' }));
    expect(created.status).toBe(303);
    const [global] = await directories(null);
    expect(global).toMatchObject({ name: 'Head office', startTls: true });
    const list = await admin.get('/console/ldap-directories');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`href="/console/ldap-directories/${global.id}"`);
    // The tenants' directories are listed too, linking to their tenant's tab.
    expect(list.text).toContain(`href="/console/tenants/${tenant.key}/ldap"`);

    const [own] = await directories(tenant.key);
    const redirected = await admin.get(`/console/ldap-directories/${own.id}`);
    expect({ status: redirected.status, location: redirected.headers.location }).toEqual({ status: 303, location: `${tab()}/${own.id}` });
    const other = await makeTenant(t);
    expect((await admin.get(`/console/tenants/${other.key}/ldap/${own.id}`)).status).toBe(404);
    expect((await admin.get(`/console/tenants/${tenant.key}/ldap/${global.id}`)).status).toBe(404);
    expect(
      (await admin.submit(`/console/tenants/${other.key}/ldap/${own.id}/test`, { username: 'ada' }, `/console/tenants/${other.key}/ldap`))
        .status,
    ).toBe(404);
  });

  it('deletes a directory after confirmation', async () => {
    const [global] = await directories(null);
    const confirm = await admin.get(`/console/ldap-directories/${global.id}/delete`);
    expect(confirm.status).toBe(200);
    expect(decode(confirm.text)).toContain('Delete directory “Head office”?');
    const deleted = await admin.submit(
      `/console/ldap-directories/${global.id}/delete`,
      {},
      `/console/ldap-directories/${global.id}/delete`,
    );
    expect({ status: deleted.status, location: deleted.headers.location }).toEqual({ status: 303, location: '/console/ldap-directories' });
    expect(await directories(null)).toEqual([]);
  });

  it('is for signed-in platform admins only', async () => {
    const stranger = new WebSession(t);
    const res = await stranger.get(tab());
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/console\/login/);
    expect((await stranger.get('/console/ldap-directories')).status).toBe(303);
  });
});
