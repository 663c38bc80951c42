import { IdentityMapService } from '@portico/identity-map';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { auditEvents, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, makeUser, TenantFixture } from '../support/factories';
import { groupDn, GROUPS, PEOPLE, SERVICE_DN, Slapd, slapdPresent, SUFFIX, userDn } from '../support/slapd';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { alertOf, realProblems, WebSession } from '../support/web-session';

const WRONG = 'The email, username or password is not right.';
const UNREACHABLE = 'The directory could not be reached. Try again in a moment.';
const NOT_PROVISIONED = /The directory accepted your password, but you have no Portico account yet/;
const NOT_CREATED = /The directory accepted your password, but Portico could not set up your account/;
const run = slapdPresent('LDAP sign-in e2e');

interface UserBody {
  id: string;
  email: string;
  username: string;
  firstName: string;
  lastName: string;
  tenantKey: string | null;
}

/** Signing in through LDAP on the web form, against a real slapd: JIT, roles, TLS, isolation, coexistence, throttle. */
(run ? describe : describe.skip).each(databaseKinds())('signing in through an LDAP directory (%s)', (kind) => {
  let t: TestApp;
  let slapd: Slapd;
  let problems: string[];
  let acme: TenantFixture; // LDAPS, JIT, group mapping
  let partner: TenantFixture; // StartTLS, its own part of the tree
  let bare: TenantFixture; // no directory at all
  let acmeDirectory: string;
  let orgAdmins: { id: string };
  let orgStaff: { id: string };
  let ip = 0;
  const api = () => ({ Authorization: t.admin });
  const browser = () => new WebSession(t, `10.9.${kind === 'sqlite' ? 1 : 2}.${++ip}`);
  const signIn = (tenant: TenantFixture | null, login: string, password: string) =>
    browser().login(login, password, tenant ? `/t/${tenant.key}/login` : '/login');
  const directory = async (tenant: TenantFixture | null, over: Record<string, unknown> = {}) => {
    const res = await t.http
      .post('/api/v1/ldap-directories')
      .set(api())
      .send({
        tenantKey: tenant?.key ?? null,
        name: `Directory ${++ip}`,
        url: slapd.ldapsUrl,
        bindDn: SERVICE_DN,
        bindPassword: slapd.servicePassword,
        searchBase: `ou=people,${SUFFIX}`,
        caCertificate: slapd.pki.ca,
        jitProvisioning: true,
        ...over,
      });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body.id as string;
  };
  const usersOf = async (tenant: TenantFixture | null, email: string): Promise<UserBody[]> => {
    const res = await t.http
      .get('/api/v1/users')
      .query({ email, limit: '500', ...(tenant ? { tenantKey: tenant.key } : {}) })
      .set(api())
      .expect(200);
    return (res.body.items as UserBody[]).filter((u) => u.tenantKey === (tenant?.key ?? null));
  };
  const rolesOf = async (userId: string, orgIds: string[]) => {
    const roles: Record<string, string | null> = {};
    for (const orgId of orgIds) {
      const members = (await t.http.get(`/api/v1/organizations/${orgId}/members`).set(api()).expect(200)).body.items as {
        userId: string;
        role: string;
      }[];
      roles[orgId] = members.find((m) => m.userId === userId)?.role ?? null;
    }
    return roles;
  };
  const signedIn = async (b: WebSession) => (await b.get('/account')).status === 200;

  beforeAll(async () => {
    slapd = await Slapd.start({ users: Object.values(PEOPLE), groups: Object.values(GROUPS) });
    t = await startTestApp(kind, { TRUST_PROXY: 'loopback' });
    problems = watchResponses(t);
    await t.http
      .put('/api/v1/settings/authentication')
      .set(api())
      .send({ methods: { password: true, saml: false, ldap: true, external: false }, lockout: { maxPasswordFailures: 50 } })
      .expect(200);
    acme = await makeTenant(t);
    partner = await makeTenant(t);
    bare = await makeTenant(t);
    // One organization matched by the group's DN (in another spelling), one by its cn.
    orgAdmins = await makeOrganization(t, acme.auth, { name: 'Acme admins', externalUid: 'CN=Admins, OU=Groups, DC=Portico, DC=Test' });
    orgStaff = await makeOrganization(t, acme.auth, { name: 'Acme staff', externalUid: 'staff' });
    acmeDirectory = await directory(acme, {
      groupRoleMapping: { [groupDn(GROUPS.admins)]: 'admin', [groupDn(GROUPS.staff)]: 'member', [groupDn(GROUPS.sales)]: 'owner' },
    });
    await directory(partner, { url: slapd.ldapUrl, startTls: true, searchBase: `ou=partners,${SUFFIX}` });
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('says on the sign-in page that a directory serves it, only where one does', async () => {
    expect((await browser().get(`/t/${acme.key}/login`)).text).toContain('data-testid="ldap-hint"');
    expect((await browser().get(`/t/${bare.key}/login`)).text).not.toContain('data-testid="ldap-hint"');
    expect((await browser().get('/login')).text).not.toContain('data-testid="ldap-hint"');
  });

  it('creates the user at the first sign-in (JIT), with the directory’s attributes, the DN and the mapped roles', async () => {
    const b = browser();
    const binds = slapd.bindsAs(userDn(PEOPLE.ada));
    const res = await b.login('ada', PEOPLE.ada.password, `/t/${acme.key}/login`);
    expect({ status: res.status, location: res.headers.location, alert: alertOf(res.text) }).toEqual({
      status: 303,
      location: '/account',
      alert: null,
    });
    expect(await signedIn(b)).toBe(true);
    await slapd.settle();
    expect(slapd.bindsAs(userDn(PEOPLE.ada))).toBe(binds + 1);

    const [ada] = await usersOf(acme, 'ada@acme.example');
    expect(ada).toMatchObject({ email: 'ada@acme.example', username: 'ada', firstName: 'Ada', lastName: 'Lovelace', tenantKey: acme.key });
    const map = t.app.get(IdentityMapService);
    expect(await map.foreignIdOf({ tenantId: acme.id, provider: 'ldap', entityType: 'user' }, ada.id)).toBe(userDn(PEOPLE.ada));
    expect(await rolesOf(ada.id, [orgAdmins.id, orgStaff.id])).toEqual({ [orgAdmins.id]: 'admin', [orgStaff.id]: 'member' });

    const [created] = (await auditEvents(t, { action: 'user.created' })).filter((e) => e.target.id === ada.id);
    expect(created.details).toMatchObject({ via: 'ldap' });
    const [succeeded] = (await auditEvents(t, { action: 'auth.login.succeeded' })).filter((e) => e.target.id === ada.id);
    expect(succeeded.details).toMatchObject({ method: 'ldap', directoryId: acmeDirectory, created: true });

    // The second time the same account is used, whether by username or by email.
    expect((await signIn(acme, 'ada', PEOPLE.ada.password)).status).toBe(303);
    expect((await signIn(acme, 'ADA@acme.example', PEOPLE.ada.password)).status).toBe(303);
    expect(await usersOf(acme, 'ada@acme.example')).toHaveLength(1);
    const linked = await t.http.get(`/api/v1/ldap-directories/${acmeDirectory}`).set(api()).expect(200);
    expect(linked.body.linkedUsers).toBe(1);
  });

  it('signs in a non-ASCII username', async () => {
    const res = await signIn(acme, 'jürgen', PEOPLE.jurgen.password);
    expect(res.status).toBe(303);
    const [jurgen] = await usersOf(acme, 'juergen@acme.example');
    expect(jurgen).toMatchObject({ username: 'jürgen', lastName: 'Groß' });
  });

  it('refuses a wrong password and an unknown user with the same words, audited like password failures', async () => {
    const answers = [];
    for (const [login, password] of [
      ['ada', 'not-adas-password'],
      ['ada', PEOPLE.ada.password.toUpperCase()],
      ['nobody', PEOPLE.ada.password],
      ['grace', PEOPLE.ada.password],
    ]) {
      const b = browser();
      const res = await b.login(login, password, `/t/${acme.key}/login`);
      answers.push({ login, status: res.status, alert: alertOf(res.text) });
      expect(res.text).not.toContain(password);
      expect(await signedIn(b)).toBe(false);
    }
    expect(answers).toEqual(answers.map((a) => ({ login: a.login, status: 401, alert: WRONG })));
    const failed = (await auditEvents(t, { action: 'auth.login.failed', tenantKey: acme.key })).filter(
      (e) => e.details?.login === 'nobody',
    );
    expect(failed[0].details).toMatchObject({ method: 'ldap', login: 'nobody' });
    expect(await usersOf(acme, 'grace@acme.example')).toEqual([]);
  });

  it('refuses an empty password before anything reaches the directory', async () => {
    await slapd.settle();
    const binds = slapd.bindsAs(userDn(PEOPLE.ada));
    const searches = slapd.searchFilters().length;
    for (const password of ['', undefined]) {
      const b = browser();
      const csrf = await b.csrf(`/t/${acme.key}/login`);
      const res = await b.postRaw(`/t/${acme.key}/login`, { _csrf: csrf, login: 'ada', ...(password === undefined ? {} : { password }) });
      expect(res.status).toBe(400);
      expect(await signedIn(b)).toBe(false);
    }
    await slapd.settle();
    expect(slapd.bindsAs(userDn(PEOPLE.ada))).toBe(binds);
    expect(slapd.searchFilters().length).toBe(searches);
  });

  it('signs in over StartTLS with the CA (tenant B’s own directory and part of the tree)', async () => {
    expect((await signIn(partner, 'bob', PEOPLE.bob.password)).status).toBe(303);
    expect(await usersOf(partner, 'bob@partner.example')).toHaveLength(1);
  });

  it('never lets one tenant’s directory serve another tenant, or direct users', async () => {
    // Ada is in tenant A's directory only: tenant B's directory does not know her, tenant C has none, nor has /login.
    await slapd.settle();
    const searches = slapd.searchFilters().length;
    for (const tenant of [partner, bare, null]) {
      const res = await signIn(tenant, 'ada', PEOPLE.ada.password);
      expect({ tenant: tenant?.key ?? null, status: res.status, alert: alertOf(res.text) }).toEqual({
        tenant: tenant?.key ?? null,
        status: 401,
        alert: WRONG,
      });
    }
    await slapd.settle();
    // Only tenant B's directory searched (under its own base): the others asked no directory at all.
    const asked = slapd.searchFilters().slice(searches);
    expect(asked).toEqual(['(&(objectClass=inetOrgPerson)(uid=ada))']);
    expect(await usersOf(partner, 'ada@acme.example')).toEqual([]);
    expect(await usersOf(bare, 'ada@acme.example')).toEqual([]);
    expect(await usersOf(null, 'ada@acme.example')).toEqual([]);
    // And Bob, of tenant B's directory, is nobody on tenant A's page.
    expect((await signIn(acme, 'bob', PEOPLE.bob.password)).status).toBe(401);
  });

  it('refuses a server whose certificate the CA did not sign, or any certificate without a CA: verification is never off', async () => {
    for (const over of [
      { caCertificate: slapd.pki.otherCa },
      { caCertificate: null },
      { url: slapd.ldapUrl, startTls: true, caCertificate: slapd.pki.otherCa },
    ]) {
      const tenant = await makeTenant(t);
      await directory(tenant, over);
      await slapd.settle();
      const binds = slapd.bindsAs(SERVICE_DN) + slapd.bindsAs(userDn(PEOPLE.ada));
      const b = browser();
      const res = await b.login('ada', PEOPLE.ada.password, `/t/${tenant.key}/login`);
      expect({ over, status: res.status, alert: alertOf(res.text) }).toEqual({ over, status: 503, alert: UNREACHABLE });
      expect(await signedIn(b)).toBe(false);
      await slapd.settle();
      expect(slapd.bindsAs(SERVICE_DN) + slapd.bindsAs(userDn(PEOPLE.ada))).toBe(binds);
      expect(await usersOf(tenant, 'ada@acme.example')).toEqual([]);
    }
  });

  it('gives up on a directory that accepts connections but never answers, and keeps serving', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      for (const url of [`ldap://127.0.0.1:${port}`, `ldaps://127.0.0.1:${port}`]) {
        const tenant = await makeTenant(t);
        await directory(tenant, { url, caCertificate: url.startsWith('ldaps') ? slapd.pki.ca : null, timeoutMs: 600 });
        const res = await signIn(tenant, 'ada', PEOPLE.ada.password);
        expect({ url, status: res.status, alert: alertOf(res.text) }).toEqual({ url, status: 503, alert: UNREACHABLE });
      }
      expect((await signIn(acme, 'ada', PEOPLE.ada.password)).status).toBe(303);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('keeps roles in line with the groups at every sign-in', async () => {
    const [ada] = await usersOf(acme, 'ada@acme.example');
    const sales = await makeOrganization(t, acme.auth, { name: 'Acme sales', externalUid: 'Sales Team' });
    slapd.modify(
      [
        `dn: ${groupDn(GROUPS.admins)}`,
        'changetype: modify',
        'delete: member',
        `member: ${userDn(PEOPLE.ada)}`,
        '-',
        'add: member',
        `member: ${userDn(PEOPLE.grace)}`,
        '',
        `dn: ${groupDn(GROUPS.sales)}`,
        'changetype: modify',
        'add: member',
        `member: ${userDn(PEOPLE.ada)}`,
        '',
      ].join('\n'),
    );
    // A membership in an organization the mapping does not govern is left alone.
    const other = await makeOrganization(t, acme.auth, { name: 'Unmapped' });
    await t.http.post(`/api/v1/organizations/${other.id}/members`).set(api()).send({ userId: ada.id, role: 'admin' }).expect(201);
    expect((await signIn(acme, 'ada', PEOPLE.ada.password)).status).toBe(303);
    expect(await rolesOf(ada.id, [orgAdmins.id, orgStaff.id, sales.id, other.id])).toEqual({
      [orgAdmins.id]: null,
      [orgStaff.id]: 'member',
      [sales.id]: 'owner',
      [other.id]: 'admin',
    });
  });

  it('lets a Portico user with a password keep it: a directory entry of the same name never takes it over', async () => {
    const carol = await makeUser(t, acme.auth, { email: 'grace@acme.example', username: 'grace', password: 'Portico-own-pass-1' });
    // grace exists in the directory too: her directory password does not open the Portico account.
    expect((await signIn(acme, 'grace', PEOPLE.grace.password)).status).toBe(401);
    expect((await signIn(acme, 'grace', 'Portico-own-pass-1')).status).toBe(303);
    const [grace] = await usersOf(acme, 'grace@acme.example');
    expect(grace.id).toBe(carol.id);
    const map = t.app.get(IdentityMapService);
    expect(await map.foreignIdOf({ tenantId: acme.id, provider: 'ldap', entityType: 'user' }, carol.id)).toBeNull();
  });

  it('does not create a user whose email belongs to another account', async () => {
    // In tenant B, a Portico user already has jürgen's email (under another name).
    const holder = await makeUser(t, partner.auth, { email: 'juergen@acme.example', username: 'jay', password: 'Portico-own-pass-1' });
    await t.http
      .put(`/api/v1/ldap-directories/${(await directoriesOf(partner))[0]}`)
      .set(api())
      .send({ searchBase: SUFFIX, searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))' })
      .expect(200);
    const res = await signIn(partner, 'jürgen', PEOPLE.jurgen.password);
    expect({ status: res.status, alert: alertOf(res.text) }).toEqual({ status: 401, alert: expect.stringMatching(NOT_CREATED) });
    const users = await usersOf(partner, 'juergen@acme.example');
    expect(users.map((u) => u.id)).toEqual([holder.id]);
  });

  it('links a Portico user without a password to the entry of the same name at the first sign-in', async () => {
    const tenant = await makeTenant(t);
    await directory(tenant, { jitProvisioning: false });
    const grace = await makeUser(t, tenant.auth, { email: 'grace@acme.example', username: 'grace' });
    expect((await signIn(tenant, 'grace', PEOPLE.grace.password)).status).toBe(303);
    expect(await usersOf(tenant, 'grace@acme.example')).toHaveLength(1);
    const map = t.app.get(IdentityMapService);
    expect(await map.foreignIdOf({ tenantId: tenant.id, provider: 'ldap', entityType: 'user' }, grace.id)).toBe(userDn(PEOPLE.grace));
    // Without JIT, someone the directory knows but Portico does not is told so, after the right password only.
    expect(alertOf((await signIn(tenant, 'ada', 'wrong-password-1')).text)).toBe(WRONG);
    const res = await signIn(tenant, 'ada', PEOPLE.ada.password);
    expect({ status: res.status, alert: alertOf(res.text) }).toEqual({ status: 401, alert: expect.stringMatching(NOT_PROVISIONED) });
    expect(await usersOf(tenant, 'ada@acme.example')).toEqual([]);
  });

  it('creates nobody from an entry without an email address, or from a name two entries share', async () => {
    const res = await signIn(acme, 'linus', PEOPLE.linus.password);
    expect({ status: res.status, alert: alertOf(res.text) }).toEqual({ status: 401, alert: expect.stringMatching(NOT_CREATED) });
    const tenant = await makeTenant(t);
    await directory(tenant, { searchBase: SUFFIX });
    const twin = await signIn(tenant, 'twin', PEOPLE.twinA.password);
    expect({ status: twin.status, alert: alertOf(twin.text) }).toEqual({ status: 401, alert: WRONG });
    const [ambiguous] = await auditEvents(t, { action: 'auth.login.failed', tenantKey: tenant.key });
    expect(ambiguous.details).toMatchObject({ method: 'ldap', login: 'twin', refused: 'ambiguous' });
    expect((await t.http.get('/api/v1/users').query({ tenantKey: tenant.key }).set(api()).expect(200)).body.total).toBe(0);
  });

  it('refuses when LDAP is off for the tenant, or its directory is disabled', async () => {
    await t.http
      .put(`/api/v1/tenants/${acme.key}/settings`)
      .set(api())
      .send({ methods: { password: true, saml: false, ldap: false, external: false } })
      .expect(200);
    let res = await signIn(acme, 'ada', PEOPLE.ada.password);
    expect({ status: res.status, alert: alertOf(res.text) }).toEqual({ status: 401, alert: WRONG });
    expect((await browser().get(`/t/${acme.key}/login`)).text).not.toContain('data-testid="ldap-hint"');
    await t.http.put(`/api/v1/tenants/${acme.key}/settings`).set(api()).send({ methods: null }).expect(200);
    expect((await signIn(acme, 'ada', PEOPLE.ada.password)).status).toBe(303);

    await t.http.put(`/api/v1/ldap-directories/${acmeDirectory}`).set(api()).send({ enabled: false }).expect(200);
    res = await signIn(acme, 'ada', PEOPLE.ada.password);
    expect({ status: res.status, alert: alertOf(res.text) }).toEqual({ status: 401, alert: WRONG });
    await t.http.put(`/api/v1/ldap-directories/${acmeDirectory}`).set(api()).send({ enabled: true }).expect(200);
    expect((await signIn(acme, 'ada', PEOPLE.ada.password)).status).toBe(303);
  });

  it('serves direct users on /login from a global directory; a platform admin always signs in with Portico', async () => {
    // An entry named like the platform admin, with another password, must not get in.
    slapd.add(
      [
        `dn: uid=${ADMIN_EMAIL},ou=people,${SUFFIX}`,
        'objectClass: inetOrgPerson',
        `uid: ${ADMIN_EMAIL}`,
        'cn: Impostor',
        'sn: Impostor',
        `mail: ${ADMIN_EMAIL}`,
        'userPassword: Impostor-pass-1',
        '',
      ].join('\n'),
    );
    await directory(null, { searchFilter: '(&(objectClass=inetOrgPerson)(|(uid={{username}})(mail={{username}})))' });
    expect((await signIn(null, ADMIN_EMAIL, 'Impostor-pass-1')).status).toBe(401);
    expect((await signIn(null, ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(303);
    const consoleSession = new WebSession(t, `10.9.${kind === 'sqlite' ? 3 : 4}.1`);
    expect((await consoleSession.submit('/console/login', { email: ADMIN_EMAIL, password: 'Impostor-pass-1' })).status).toBe(401);

    expect((await signIn(null, 'grace', PEOPLE.grace.password)).status).toBe(303);
    const [direct] = await usersOf(null, 'grace@acme.example');
    expect(direct).toMatchObject({ tenantKey: null, username: 'grace', firstName: 'Grace' });
  });

  it('counts directory failures in the same lockout as passwords', async () => {
    await t.http
      .put('/api/v1/settings/authentication')
      .set(api())
      .send({ lockout: { maxPasswordFailures: 2, baseWaitSeconds: 60 } })
      .expect(200);
    try {
      const b = new WebSession(t, `10.9.${kind === 'sqlite' ? 5 : 6}.1`);
      // The first wrong directory password is a failure; the second reaches the limit and locks the account.
      expect((await b.login('jürgen', 'wrong-password-1', `/t/${acme.key}/login`)).status).toBe(401);
      expect((await b.login('jürgen', 'wrong-password-2', `/t/${acme.key}/login`)).status).toBe(429);
      const locked = await b.login('jürgen', PEOPLE.jurgen.password, `/t/${acme.key}/login`);
      expect({ status: locked.status, alert: alertOf(locked.text) }).toEqual({
        status: 429,
        alert: expect.stringMatching(/Too many failed attempts/),
      });
      const events = (await auditEvents(t, { action: 'auth.login.locked', tenantKey: acme.key })).filter(
        (e) => e.details?.login === 'jürgen',
      );
      expect(events.length).toBeGreaterThan(0);
    } finally {
      await t.http
        .put('/api/v1/settings/authentication')
        .set(api())
        .send({ lockout: { maxPasswordFailures: 50, baseWaitSeconds: 30 } })
        .expect(200);
    }
  });

  it('never writes a password to the audit trail', async () => {
    const all = JSON.stringify(await auditEvents(t, {}));
    for (const secret of [slapd.servicePassword, ...Object.values(PEOPLE).map((p) => p.password), 'Impostor-pass-1'])
      expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
  });

  async function directoriesOf(tenant: TenantFixture): Promise<string[]> {
    const res = await t.http.get('/api/v1/ldap-directories').query({ limit: '500' }).set(api()).expect(200);
    return (res.body.items as { id: string; tenantKey: string | null }[]).filter((d) => d.tenantKey === tenant.key).map((d) => d.id);
  }
});
