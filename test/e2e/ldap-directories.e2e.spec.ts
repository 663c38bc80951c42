import { CryptoService } from '@portico/core';
import { DataSource } from 'typeorm';
import { auditEvents, expectError, watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { groupDn, GROUPS, PEOPLE, SERVICE_DN, Slapd, slapdPresent, SUFFIX, userDn } from '../support/slapd';
import { startTestApp, TestApp } from '../support/test-app';

const BIND_PASSWORD_MARK = 'bind-password-never-shown';
const run = slapdPresent('LDAP directory API e2e');

/** /api/v1/ldap-directories against a real slapd: CRUD, validation, write-only secrets, the test action. */
(run ? describe : describe.skip).each(databaseKinds())('LDAP directories API (%s)', (kind) => {
  let t: TestApp;
  let slapd: Slapd;
  let problems: string[];
  let tenant: TenantFixture;
  let counter = 0;
  const api = () => ({ Authorization: t.admin });
  /** A directory on the test's slapd over LDAPS with its CA, and the service account. */
  const directoryBody = (over: Record<string, unknown> = {}) => ({
    tenantKey: tenant.key,
    name: `Directory ${++counter}`,
    url: slapd.ldapsUrl,
    bindDn: SERVICE_DN,
    bindPassword: slapd.servicePassword,
    searchBase: `ou=people,${SUFFIX}`,
    caCertificate: slapd.pki.ca,
    ...over,
  });
  const create = async (over: Record<string, unknown> = {}) => {
    const res = await t.http.post('/api/v1/ldap-directories').set(api()).send(directoryBody(over));
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body as { id: string; name: string };
  };
  const test = (id: string, body: Record<string, unknown>) => t.http.post(`/api/v1/ldap-directories/${id}/test`).set(api()).send(body);
  const userCount = async () => (await t.http.get('/api/v1/users').set(api()).expect(200)).body.total as number;

  beforeAll(async () => {
    slapd = await Slapd.start({ users: Object.values(PEOPLE), groups: Object.values(GROUPS) });
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  });
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  it('creates a directory with the preset’s defaults; the bind password is write-only', async () => {
    const res = await t.http
      .post('/api/v1/ldap-directories')
      .set(api())
      .send(directoryBody({ name: 'Acme directory', bindPassword: BIND_PASSWORD_MARK }))
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      tenantKey: tenant.key,
      name: 'Acme directory',
      url: slapd.ldapsUrl,
      preset: 'openldap',
      bindDn: SERVICE_DN,
      bindPasswordSet: true,
      searchBase: `ou=people,${SUFFIX}`,
      searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
      startTls: false,
      caCertificate: slapd.pki.ca.trim(),
      attributeMapping: { username: 'uid', email: 'mail', firstName: 'givenName', lastName: 'sn', groups: 'memberOf' },
      groupSearchBase: null,
      groupSearchFilter: '(&(objectClass=groupOfNames)(member={{dn}}))',
      groupRoleMapping: {},
      jitProvisioning: false,
      enabled: true,
      timeoutMs: 5000,
      linkedUsers: 0,
      transport: 'ldaps',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain(BIND_PASSWORD_MARK);
    const id = res.body.id;
    const got = await t.http.get(`/api/v1/ldap-directories/${id}`).set(api()).expect(200);
    expect(got.body).toEqual(res.body);
    const list = await t.http.get('/api/v1/ldap-directories').set(api()).expect(200);
    expect(list.body).toMatchObject({ total: expect.any(Number), limit: 50, offset: 0 });
    expect(list.body.items.map((d: { id: string }) => d.id)).toContain(id);
    expect(JSON.stringify(list.body)).not.toContain(BIND_PASSWORD_MARK);

    // Encrypted at rest: the column holds ciphertext that only the server's key opens.
    const raw = await t.app
      .get(DataSource)
      .createQueryBuilder()
      .select('d.bind_password_encrypted', 'sealed')
      .from('ldap_directories', 'd')
      .where('d.id = :id', { id })
      .getRawOne<{ sealed: string }>();
    expect(raw!.sealed).toMatch(/^v1:/);
    expect(raw!.sealed).not.toContain(BIND_PASSWORD_MARK);
    expect(raw!.sealed).not.toContain(Buffer.from(BIND_PASSWORD_MARK).toString('base64'));
    expect(t.app.get(CryptoService).decrypt(raw!.sealed)).toBe(BIND_PASSWORD_MARK);

    // The audit trail says a password is set, never which.
    const [created] = (await auditEvents(t, { action: 'ldap_directory.created' })).filter((e) => e.target.id === id);
    expect(created.details).toMatchObject({ name: 'Acme directory', bindPasswordSet: true });
    expect(JSON.stringify(created)).not.toContain(BIND_PASSWORD_MARK);
  });

  it('updates only the fields given; a new preset brings its filter and attributes; the password stays unless changed', async () => {
    const { id } = await create({ name: 'Switching', groupRoleMapping: { [groupDn(GROUPS.staff)]: 'member' } });
    const renamed = await t.http.put(`/api/v1/ldap-directories/${id}`).set(api()).send({ name: 'Switched', timeoutMs: 2500 }).expect(200);
    expect(renamed.body).toMatchObject({
      name: 'Switched',
      timeoutMs: 2500,
      bindPasswordSet: true,
      groupRoleMapping: { [groupDn(GROUPS.staff)]: 'member' },
    });

    const ad = await t.http.put(`/api/v1/ldap-directories/${id}`).set(api()).send({ preset: 'active-directory' }).expect(200);
    expect(ad.body).toMatchObject({
      preset: 'active-directory',
      searchFilter: expect.stringContaining('(|(sAMAccountName={{username}})(userPrincipalName={{username}}))'),
      attributeMapping: { username: 'sAMAccountName', email: 'mail', firstName: 'givenName', lastName: 'sn', groups: 'memberOf' },
      groupSearchFilter: null,
    });
    const custom = await t.http
      .put(`/api/v1/ldap-directories/${id}`)
      .set(api())
      .send({
        preset: 'openldap',
        searchFilter: '(|(uid={{username}})(mail={{username}}))',
        attributeMapping: { email: 'mail', groups: null },
      })
      .expect(200);
    expect(custom.body).toMatchObject({
      preset: 'openldap',
      searchFilter: '(|(uid={{username}})(mail={{username}}))',
      attributeMapping: { username: 'uid', email: 'mail', groups: null },
      groupSearchFilter: '(&(objectClass=groupOfNames)(member={{dn}}))',
    });

    // The same tenant key again is fine (PUT of what GET gave); another is refused.
    await t.http.put(`/api/v1/ldap-directories/${id}`).set(api()).send({ tenantKey: tenant.key }).expect(200);
    expectError(
      await t.http.put(`/api/v1/ldap-directories/${id}`).set(api()).send({ tenantKey: null }),
      400,
      /tenantKey cannot be changed/,
    );

    // Removing the service account removes its password; anonymous search is then allowed.
    const anonymous = await t.http.put(`/api/v1/ldap-directories/${id}`).set(api()).send({ bindDn: null }).expect(200);
    expect(anonymous.body).toMatchObject({ bindDn: null, bindPasswordSet: false });
    expectError(
      await t.http.put(`/api/v1/ldap-directories/${id}`).set(api()).send({ bindDn: SERVICE_DN }),
      400,
      /bindPassword is required with bindDn/,
    );

    const updated = await auditEvents(t, { action: 'ldap_directory.updated' });
    expect(updated.filter((e) => e.target.id === id).map((e) => e.details?.changed)).toContainEqual(['bindDn', 'bindPassword']);
  });

  it('deletes a directory (204), after which it is gone', async () => {
    const { id } = await create();
    await t.http.delete(`/api/v1/ldap-directories/${id}`).set(api()).expect(204);
    expectError(await t.http.get(`/api/v1/ldap-directories/${id}`).set(api()), 404, /LDAP directory not found/);
    expectError(await t.http.delete(`/api/v1/ldap-directories/${id}`).set(api()), 404);
    expectError(await t.http.get('/api/v1/ldap-directories/not-a-uuid').set(api()), 400, /id must be a UUID/);
  });

  it('keeps names unique per tenant and among the global directories', async () => {
    await create({ name: 'Shared name' });
    expectError(
      await t.http
        .post('/api/v1/ldap-directories')
        .set(api())
        .send(directoryBody({ name: 'Shared name' })),
      409,
      /already exists/,
    );
    await create({ name: 'Shared name', tenantKey: null });
    expectError(
      await t.http
        .post('/api/v1/ldap-directories')
        .set(api())
        .send(directoryBody({ name: 'Shared name', tenantKey: null })),
      409,
      /already exists/,
    );
    const other = await makeTenant(t);
    await create({ name: 'Shared name', tenantKey: other.key });
    const globals = await t.http.get('/api/v1/ldap-directories').query({ limit: 500 }).set(api()).expect(200);
    expect(
      globals.body.items
        .filter((d: { name: string }) => d.name === 'Shared name')
        .map((d: { tenantKey: string | null }) => d.tenantKey)
        .sort(),
    ).toEqual([null, other.key, tenant.key].sort());
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an https URL', { url: 'https://ldap.example.org' }, /url must start with ldap:\/\/ or ldaps:\/\//],
    ['a URL that is no URL', { url: 'ldap.example.org' }, /url must be an ldap:\/\/ or ldaps:\/\/ URL/],
    ['a URL with a path', { url: 'ldaps://127.0.0.1:636/dc=portico,dc=test' }, /url must be just the server/],
    ['StartTLS on ldaps://', { startTls: true }, /startTls applies to ldap:\/\/ URLs only/],
    ['a CA that is not PEM', { caCertificate: 'not a certificate' }, /caCertificate must be one or more PEM certificates/],
    ['a CA on a connection without TLS', { url: 'ldap://127.0.0.1:389' }, /caCertificate is only used over TLS/],
    ['a bind DN without a password', { bindPassword: undefined }, /bindPassword is required with bindDn/],
    ['a bind DN that is no DN', { bindDn: 'portico' }, /bindDn must be a DN/],
    ['a search base that is no DN', { searchBase: 'people' }, /searchBase must be a DN/],
    ['a filter without {{username}}', { searchFilter: '(uid=ada)' }, /searchFilter must contain the placeholder \{\{username\}\}/],
    ['a filter that does not parse', { searchFilter: '(uid={{username}}' }, /searchFilter is not a valid LDAP filter/],
    [
      'a group filter without {{dn}}',
      { groupSearchFilter: '(objectClass=groupOfNames)' },
      /groupSearchFilter must contain the placeholder \{\{dn\}\}/,
    ],
    [
      'an unknown role',
      { groupRoleMapping: { [groupDn(GROUPS.staff)]: 'superuser' } },
      /groupRoleMapping\[".*"\] must be one of owner, admin, member/,
    ],
    ['a group that is no DN', { groupRoleMapping: { staff: 'member' } }, /groupRoleMapping: "staff" is not a group DN/],
    ['a mapping that is a list', { groupRoleMapping: [] }, /groupRoleMapping must be an object/],
    ['an unknown preset', { preset: 'novell' }, /preset must be one of openldap, active-directory/],
    ['an unknown tenant', { tenantKey: 'no-such-tenant' }, /tenantKey "no-such-tenant" does not name a tenant/],
    ['a timeout too short', { timeoutMs: 10 }, /timeoutMs must not be less than 500/],
    ['an attribute name with a space', { attributeMapping: { email: 'e mail' } }, /attributeMapping\.email must be an attribute name/],
    ['a missing name', { name: undefined }, /name must be a string|name must be longer/],
    ['an empty bind password', { bindPassword: '' }, /bindPassword must be longer than or equal to 1 characters/],
    ['an unknown field', { verifyCertificates: false }, /property verifyCertificates should not exist/],
  ])('refuses %s with a 400 naming the field', async (_what, over, message) => {
    const body: Record<string, unknown> = directoryBody(over);
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete body[k];
    const res = await t.http.post('/api/v1/ldap-directories').set(api()).send(body);
    expectError(res, 400, message);
    expect(JSON.stringify(res.body)).not.toContain(slapd.servicePassword);
  });

  it('is for platform admins only', async () => {
    const { id } = await create();
    for (const auth of [undefined, tenant.auth, 'Bearer not-a-token-0123456789abcdef']) {
      const req = t.http.get(`/api/v1/ldap-directories/${id}`);
      const res = auth ? await req.set('Authorization', auth) : await req;
      expect([401, 403]).toContain(res.status);
    }
    const post = await t.http.post('/api/v1/ldap-directories').set('Authorization', tenant.auth).send(directoryBody());
    expect([401, 403]).toContain(post.status);
  });

  describe('the test action', () => {
    let id: string;
    let salesOrg: { id: string; name: string; siteId: number };
    beforeAll(async () => {
      salesOrg = await makeOrganization(t, tenant.auth, { name: 'Sales', externalUid: 'Sales Team' });
      ({ id } = await create({
        name: 'Tested',
        jitProvisioning: true,
        groupRoleMapping: { [groupDn(GROUPS.sales)]: 'owner', [groupDn(GROUPS.staff)]: 'member' },
      }));
    });

    it('binds as the user and shows the mapped attributes, groups and roles, creating nothing', async () => {
      const before = await userCount();
      const binds = slapd.bindsAs(userDn(PEOPLE.grace));
      const res = await test(id, { username: 'grace', password: PEOPLE.grace.password }).expect(200);
      await slapd.settle();
      expect(slapd.bindsAs(userDn(PEOPLE.grace))).toBe(binds + 1);
      expect(res.body).toEqual({
        outcome: 'authenticated',
        message: expect.stringMatching(/accepted the password/),
        failure: null,
        dn: userDn(PEOPLE.grace),
        attributes: { username: 'grace', email: 'grace@acme.example', firstName: 'Grace', lastName: 'Hopper' },
        groups: expect.arrayContaining([groupDn(GROUPS.staff), groupDn(GROUPS.sales)]),
        memberships: expect.arrayContaining([
          { groupDn: groupDn(GROUPS.sales), role: 'owner', organization: { id: salesOrg.id, name: 'Sales', siteId: salesOrg.siteId } },
          { groupDn: groupDn(GROUPS.staff), role: 'member', organization: null },
        ]),
        durationMs: expect.any(Number),
      });
      expect(await userCount()).toBe(before);
      const [audited] = (await auditEvents(t, { action: 'ldap_directory.tested' })).filter((e) => e.target.id === id);
      expect(audited.details).toMatchObject({ username: 'grace', withPassword: true, outcome: 'authenticated' });
      expect(JSON.stringify(audited)).not.toContain(PEOPLE.grace.password);
    });

    it('searches only when no password is given, and says when the password or the user is wrong', async () => {
      const binds = slapd.bindsAs(userDn(PEOPLE.ada));
      const found = await test(id, { username: 'ada' }).expect(200);
      expect(found.body).toMatchObject({ outcome: 'found', dn: userDn(PEOPLE.ada), attributes: { email: 'ada@acme.example' } });
      await slapd.settle();
      expect(slapd.bindsAs(userDn(PEOPLE.ada))).toBe(binds);

      const wrong = await test(id, { username: 'ada', password: 'not-her-password' }).expect(200);
      expect(wrong.body).toMatchObject({ outcome: 'wrong-password', dn: userDn(PEOPLE.ada), groups: [], memberships: [] });
      const missing = await test(id, { username: 'nobody' }).expect(200);
      expect(missing.body).toMatchObject({ outcome: 'not-found', dn: null, attributes: null });
      const nonAscii = await test(id, { username: 'jürgen', password: PEOPLE.jurgen.password }).expect(200);
      expect(nonAscii.body).toMatchObject({ outcome: 'authenticated', attributes: { username: 'jürgen', lastName: 'Groß' } });
    });

    it('refuses an empty password before any bind (it would be an unauthenticated bind)', async () => {
      const binds = slapd.bindsAs(userDn(PEOPLE.ada));
      expectError(await test(id, { username: 'ada', password: '' }), 400, /password must not be empty/);
      await slapd.settle();
      expect(slapd.bindsAs(userDn(PEOPLE.ada))).toBe(binds);
    });

    it('works over StartTLS with the CA, and never without verifying the certificate', async () => {
      const startTls = await create({ url: slapd.ldapUrl, startTls: true });
      expect((await test(startTls.id, { username: 'ada', password: PEOPLE.ada.password }).expect(200)).body.outcome).toBe('authenticated');

      for (const over of [
        { caCertificate: slapd.pki.otherCa },
        { caCertificate: null },
        { url: slapd.ldapUrl, startTls: true, caCertificate: slapd.pki.otherCa },
        { url: slapd.ldapUrl, startTls: true, caCertificate: null },
      ]) {
        const wrongCa = await create(over);
        const binds = slapd.bindsAs(SERVICE_DN);
        const res = await test(wrongCa.id, { username: 'ada', password: PEOPLE.ada.password }).expect(200);
        expect({ over, body: res.body }).toMatchObject({
          body: {
            outcome: 'failed',
            failure: 'tls',
            message: expect.stringMatching(/certificate was not accepted.*verification is never turned off/),
          },
        });
        await slapd.settle();
        // Nothing was sent in the clear: not even the service account bound.
        expect(slapd.bindsAs(SERVICE_DN)).toBe(binds);
      }
    });

    it('reports an unreachable server and a refused service account in words', async () => {
      const closed = await create({ url: 'ldaps://127.0.0.1:1' });
      expect((await test(closed.id, { username: 'ada' }).expect(200)).body).toMatchObject({
        outcome: 'failed',
        failure: 'connect',
        message: expect.stringMatching(/Could not connect to the directory \(ECONNREFUSED\)/),
      });
      const badService = await create({ bindPassword: 'wrong-service-password' });
      expect((await test(badService.id, { username: 'ada' }).expect(200)).body).toMatchObject({
        outcome: 'failed',
        failure: 'service-bind',
        message: expect.stringMatching(/refused the service account/),
      });
      const badBase = await create({ searchBase: `ou=nowhere,${SUFFIX}` });
      expect((await test(badBase.id, { username: 'ada' }).expect(200)).body).toMatchObject({ outcome: 'failed', failure: 'search' });
    });

    it('never answers 500 to strange usernames, and 404 for an unknown directory', async () => {
      for (const username of ['*', '*)(uid=*', ')(', '\\', 'a'.repeat(320), '日本語', '😀', '%00']) {
        const res = await test(id, { username, password: PEOPLE.ada.password });
        expect({ username, status: res.status, outcome: res.body.outcome }).toEqual({ username, status: 200, outcome: 'not-found' });
      }
      expectError(await test(id, { username: 'a'.repeat(321) }), 400, /username must be shorter than or equal to 320 characters/);
      expectError(await test('00000000-0000-4000-8000-000000000000', { username: 'ada' }), 404);
    });
  });
});
