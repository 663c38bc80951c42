import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchResponses } from '../support/api-checks';
import { databaseKinds } from '../support/databases';
import { makeOrganization, makeTenant, TenantFixture } from '../support/factories';
import { requireXmlsec, TestIdp } from '../support/saml-idp';
import { basic, startTestApp, TestApp } from '../support/test-app';

const run = requireXmlsec() ? describe.each(databaseKinds()) : describe.skip.each(databaseKinds());

/** /api/v1/tenants/{key}/saml (product.md §10) and the tenant manifest GET /t/{key}/metadata (§5). */
run('SAML configuration API and tenant manifest (%s)', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let tenant: TenantFixture;
  let otherTenant: TenantFixture;
  let problems: string[];
  let metadataServer: Server;
  let metadataUrl: string;

  const path = () => `/api/v1/tenants/${tenant.key}/saml`;
  const admin = () => ({ Authorization: t.admin });

  beforeAll(async () => {
    idp = new TestIdp();
    t = await startTestApp(kind, { PUBLIC_URL: 'https://portico.example.com' });
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    otherTenant = await makeTenant(t);
    metadataServer = createServer((req, res) => {
      if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/xml' }).end(idp.metadataXml());
      else res.writeHead(404).end('no');
    });
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata`;
  });
  afterAll(async () => {
    await t?.close();
    idp?.close();
    await new Promise((resolve) => metadataServer?.close(resolve));
  });
  afterEach(() => expect(problems.splice(0)).toEqual([]));

  it('answers a disabled connection with Portico’s SP URLs and certificate before anything is set', async () => {
    const res = await t.http.get(path()).set(admin()).expect(200);
    const base = `https://portico.example.com/t/${tenant.key}/saml`;
    expect(res.body).toMatchObject({
      enabled: false,
      configured: false,
      idpEntityId: null,
      idpSsoUrl: null,
      idpCertificates: [],
      jitProvisioning: true,
      allowIdpInitiated: false,
      clockSkewSeconds: 120,
      spEntityId: `${base}/metadata`,
      acsUrl: `${base}/consume`,
      spMetadataUrl: `${base}/metadata`,
      attributeMapping: {
        email: 'email',
        firstName: 'name',
        lastName: 'surname',
        groupUid: 'group_uid',
        groupName: 'group_name',
        groupRole: 'group_role',
      },
    });
    expect(res.body.spCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY/);
    // The same key pair on every read.
    expect((await t.http.get(path()).set(admin()).expect(200)).body.spCertificate).toBe(res.body.spCertificate);
  });

  it('is for platform admins only', async () => {
    await t.http.get(path()).expect(401);
    await t.http.get(path()).set('Authorization', tenant.auth).expect(403);
    await t.http.put(path()).set('Authorization', tenant.auth).send({ enabled: true }).expect(403);
    await t.http.get('/api/v1/tenants/no-such-tenant/saml').set(admin()).expect(404);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ idpCertificates: ['not a certificate'] }, /idpCertificates\[0\] is not a PEM certificate/],
      [
        { idpCertificates: [idp.keys.certPem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'] },
        /idpCertificates\[1\] is not a valid X.509 certificate/,
      ],
      [{ idpSsoUrl: 'http://idp.example.com/sso' }, /idpSsoUrl must be an https:\/\/ URL/],
      [{ idpSsoUrl: 'javascript:alert(1)' }, /idpSsoUrl must be an https:\/\/ URL/],
      [{ clockSkewSeconds: 3600 }, /clockSkewSeconds must not be greater than 600/],
      [{ attributeMapping: { email: '' } }, /attributeMapping\.email must be longer than or equal to 1/],
      [{ defaultOrganizationId: 'nope' }, /defaultOrganizationId must be a UUID/],
      [{ enabled: 'yes' }, /enabled must be a boolean/],
      [{ surprise: true }, /property surprise should not exist/],
      [{ enabled: true }, /enabled needs idpEntityId, idpSsoUrl and at least one of idpCertificates/],
    ];
    for (const [body, message] of cases) {
      const res = await t.http.put(path()).set(admin()).send(body);
      expect({ body, status: res.status, message: res.body.message }).toEqual({
        body,
        status: 400,
        message: expect.stringMatching(message),
      });
    }
    const foreign = await makeOrganization(t, otherTenant.auth);
    const res = await t.http.put(path()).set(admin()).send({ defaultOrganizationId: foreign.id }).expect(400);
    expect(res.body.message).toBe('defaultOrganizationId does not name an organization of this tenant');
  });

  it('saves the IdP field by field, with several certificates, and reports those expiring within 30 days', async () => {
    const soon = idp.makeKeys('expiring', 10);
    const res = await t.http
      .put(path())
      .set(admin())
      .send({
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCertificates: [idp.keys.certPem, soon.certPem],
        enabled: true,
        attributeMapping: { email: 'mail' },
      })
      .expect(200);
    expect(res.body).toMatchObject({
      enabled: true,
      configured: true,
      idpEntityId: idp.entityId,
      attributeMapping: { email: 'mail', firstName: 'name' },
    });
    expect(res.body.idpCertificateDetails.map((c: { expiresSoon: boolean }) => c.expiresSoon)).toEqual([false, true]);
    const audit = await t.http.get(`/api/v1/audit-events?tenantKey=${tenant.key}&action=saml.connection.updated`).set(admin()).expect(200);
    expect(audit.body.total).toBeGreaterThan(0);
  });

  it('imports IdP metadata pasted as XML, and from a URL through the outbound guard', async () => {
    await t.http.put(path()).set(admin()).send({ idpEntityId: null, idpSsoUrl: null, idpCertificates: [], enabled: false }).expect(200);
    const pasted = await t.http.post(`${path()}/import-metadata`).set(admin()).send({ xml: idp.metadataXml() }).expect(200);
    expect(pasted.body).toMatchObject({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, configured: true, idpMetadataUrl: null });
    expect(pasted.body.idpCertificates).toHaveLength(1);

    const refused = await t.http.post(`${path()}/import-metadata`).set(admin()).send({ url: metadataUrl }).expect(400);
    expect(refused.body.message).toMatch(/^url: the IdP metadata could not be fetched: /);
    const fetched = await t.http
      .post(`${path()}/import-metadata`)
      .set(admin())
      .send({ url: metadataUrl, allowPrivateNetwork: true })
      .expect(200);
    expect(fetched.body).toMatchObject({ idpEntityId: idp.entityId, idpMetadataUrl: metadataUrl });

    const bad: [Record<string, unknown>, RegExp][] = [
      [{ xml: '<!DOCTYPE x><x/>' }, /^xml: .*DOCTYPE/],
      [{ xml: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>' }, /^xml: .*IDPSSODescriptor/],
      [{}, /Send either xml .* or url/],
      [{ url: 'ftp://idp.example.com/metadata' }, /url must be an http\(s\) URL/],
    ];
    for (const [body, message] of bad) {
      const res = await t.http.post(`${path()}/import-metadata`).set(admin()).send(body).expect(400);
      expect(res.body.message).toMatch(message);
    }
  });

  it('rotates the SP certificate, keeping the previous one in the metadata', async () => {
    const before = (await t.http.get(path()).set(admin()).expect(200)).body.spCertificate as string;
    const rotated = await t.http.post(`${path()}/sp-certificate/rotate`).set(admin()).expect(200);
    expect(rotated.body.spCertificate).not.toBe(before);
    expect(rotated.body.spPreviousCertificate).toBe(before);
    const metadata = await t.http.get(`/t/${tenant.key}/saml/metadata`).expect(200);
    const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    expect(metadata.text.replace(/\s/g, '')).toContain(body(rotated.body.spCertificate));
    expect(metadata.text.replace(/\s/g, '')).toContain(body(before));
  });

  it('deletes the connection; the next read starts over with a new key pair', async () => {
    const before = (await t.http.get(path()).set(admin()).expect(200)).body.spCertificate;
    await t.http.delete(path()).set(admin()).expect(204);
    const after = await t.http.get(path()).set(admin()).expect(200);
    expect(after.body).toMatchObject({ enabled: false, configured: false });
    expect(after.body.spCertificate).not.toBe(before);
  });

  describe('GET /t/{key}/metadata', () => {
    it("answers the tenant's own API key with the manifest", async () => {
      await t.http
        .put(path())
        .set(admin())
        .send({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.keys.certPem], enabled: true })
        .expect(200);
      const res = await t.http.get(`/t/${tenant.key}/metadata`).set('Authorization', tenant.auth).expect(200);
      const p = `/t/${tenant.key}`;
      expect(res.body).toEqual({
        environment: 'test',
        app: { host: 'https://portico.example.com' },
        api: { id: tenant.keyId, version: expect.stringMatching(/^\d+\.\d+\.\d+/), host: 'https://portico.example.com', base: '/api/v1/' },
        sso: {
          enabled: true,
          init_path: `${p}/saml/init`,
          consume_path: `${p}/saml/consume`,
          metadata_path: `${p}/saml/metadata`,
          name_id_format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
          x509_certificate: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
          x509_fingerprint: expect.stringMatching(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/),
        },
        webhook: {
          account: { groups_path: `${p}/account/groups/:id`, group_users_path: `${p}/account/groups/:group_id/users/:id` },
          data: { notifications_path: `${p}/data/notifications` },
        },
      });
    });

    it('refuses no credentials, a wrong secret and another tenant’s valid key with exactly {"error": "Invalid credentials"}', async () => {
      const attempts = [
        t.http.get(`/t/${tenant.key}/metadata`),
        t.http.get(`/t/${tenant.key}/metadata`).set('Authorization', basic(tenant.keyId, 'wrong-secret')),
        t.http.get(`/t/${tenant.key}/metadata`).set('Authorization', otherTenant.auth),
        t.http.get(`/t/${tenant.key}/metadata`).set('Authorization', t.admin),
      ];
      for (const attempt of attempts) {
        const res = await attempt;
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error: 'Invalid credentials' });
      }
    });
  });
});
