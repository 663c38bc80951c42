import { chromium } from 'playwright-core';
import { watchResponses } from '../support/api-checks';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS } from '../support/browser';
import { databaseKinds } from '../support/databases';
import { makeTenant, TenantFixture } from '../support/factories';
import { authnRequestOf, requireXmlsec, TestIdp } from '../support/saml-idp';
import { postResponse, userCount } from '../support/saml-setup';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { csrfOf, decode, realProblems, WebSession } from '../support/web-session';

const run = requireXmlsec() ? describe.each(databaseKinds()) : describe.skip.each(databaseKinds());
const CSRF_REFUSED = 'This form has expired or did not come from Portico';

/** The tenant's SAML tab in the console: settings, metadata import, SP certificate, test login. */
run('console: tenant SAML tab (%s)', (kind) => {
  let t: TestApp;
  let idp: TestIdp;
  let tenant: TenantFixture;
  let admin: WebSession;
  let problems: string[];
  const page = () => `/console/tenants/${tenant.key}/saml`;
  const errorsOf = (html: string, id = 'form-errors') =>
    [...(new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</div>`).exec(html)?.[1] ?? '').matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1]),
    );
  const settingsForm = (extra: Record<string, string> = {}) => ({
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    idpCertificates: idp.keys.certPem,
    jitProvisioning: 'on',
    clockSkewSeconds: '120',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    map_email: 'mail',
    map_firstName: 'givenName',
    map_lastName: 'sn',
    map_groupUid: 'group_uid',
    map_groupName: 'group_name',
    map_groupRole: 'group_role',
    ...extra,
  });

  beforeAll(async () => {
    idp = new TestIdp();
    t = await startTestApp(kind);
    problems = watchResponses(t);
    tenant = await makeTenant(t);
    admin = new WebSession(t);
    expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  });
  afterAll(async () => {
    await t?.close();
    idp?.close();
  });
  afterEach(() => expect(realProblems(problems.splice(0))).toEqual([]));

  it('shows the SAML tab with what to hand the IdP before anything is configured', async () => {
    const res = await admin.get(page());
    expect(res.status).toBe(200);
    const html = decode(res.text);
    expect(html).toMatch(/<a href="\/console\/tenants\/[^"]+\/saml" class="active" aria-current="page">SAML<\/a>/);
    expect(html).toContain(`http://localhost:3000/t/${tenant.key}/saml/consume`);
    expect(html).toContain(`http://localhost:3000/t/${tenant.key}/saml/metadata`);
    expect(html).toContain('sign-in off');
    expect(html).toContain("SAML is off in this tenant's");
    expect(res.text).toMatch(/data-testid="sp-fingerprint">([0-9A-F]{2}:){31}[0-9A-F]{2}</);
    const pem = await admin.get(`${page()}/sp-certificate.pem`);
    expect(pem.headers['content-disposition']).toContain(`portico-sp-${tenant.key}.pem`);
    expect(pem.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('refuses every form without its CSRF token', async () => {
    for (const path of [page(), `${page()}/import`, `${page()}/rotate`, `${page()}/test`]) {
      const res = await admin.postRaw(path, settingsForm());
      expect(res.status).toBe(403);
      expect(decode(res.text)).toContain(CSRF_REFUSED);
    }
  });

  it('keeps what was typed and names the field when the settings are wrong', async () => {
    const res = await admin.submit(page(), settingsForm({ idpCertificates: 'garbage', idpSsoUrl: 'ftp://nope', enabled: 'on' }));
    expect(res.status).toBe(400);
    const errors = errorsOf(res.text);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('IdP sign-in URL: must be an https:// URL'),
        'The first entry in IdP certificates is not a PEM certificate',
      ]),
    );
    expect(decode(res.text)).toContain('value="ftp://nope"');
  });

  it('imports metadata, saves the settings and warns about a certificate that expires within 30 days', async () => {
    const imported = await admin.submit(`${page()}/import`, { xml: idp.metadataXml() }, page());
    expect(imported.status).toBe(303);
    const after = decode((await admin.get(page())).text);
    expect(after).toContain(`IdP metadata imported: ${idp.entityId}, 1 certificate(s)`);
    expect(after).toContain(`value="${idp.entityId}"`);

    const soon = idp.makeKeys('expiring', 7);
    const saved = await admin.submit(page(), settingsForm({ enabled: 'on', idpCertificates: `${idp.keys.certPem}\n${soon.certPem}` }));
    expect(saved.status).toBe(303);
    const html = decode((await admin.get(page())).text);
    expect(html).toContain('SAML settings saved. Sign-in through the IdP is on.');
    expect(html).toContain('enabled, but SAML is off for this tenant');
    expect(html).toMatch(/data-testid="expiring-certificates"[\s\S]*IdP certificate expires/);
    expect(html.match(/expires within 30 days/g)).toHaveLength(1);
    const api = await t.http.get(`/api/v1/tenants/${tenant.key}/saml`).set('Authorization', t.admin).expect(200);
    expect(api.body).toMatchObject({ enabled: true, attributeMapping: { email: 'mail', firstName: 'givenName', lastName: 'sn' } });
    expect(api.body.idpCertificates).toHaveLength(2);
  });

  it('rotates the SP certificate', async () => {
    const before = (await t.http.get(`/api/v1/tenants/${tenant.key}/saml`).set('Authorization', t.admin)).body.spCertificateDetails
      .fingerprintSha256;
    // The tab's button opens a confirmation that says what breaks, and rotates nothing.
    const confirm = await admin.get(`${page()}/rotate`);
    expect(decode(confirm.text)).toContain('An IdP that checks request signatures refuses sign-ins until it has the new certificate');
    const res = await admin.submit(`${page()}/rotate`, {}, `${page()}/rotate`);
    expect(res.status).toBe(303);
    const html = decode((await admin.get(page())).text);
    expect(html).toContain('New SP certificate');
    expect(html).not.toContain(`data-testid="sp-fingerprint">${before}<`);
    expect(html).toContain('The certificate before the last rotation is still listed in the metadata.');
  });

  it('runs a test login that shows the mapped attributes and creates nothing', async () => {
    // The page's form-action lets its test-login form's redirect reach the IdP, and nothing else.
    const csp = (await admin.get(page())).headers['content-security-policy'];
    expect(csp).toContain(`form-action 'self' ${new URL(idp.ssoUrl).origin};`);
    expect((await admin.get(`/console/tenants/${tenant.key}`)).headers['content-security-policy']).toContain("form-action 'self';");
    const started = await admin.submit(`${page()}/test`, {}, page());
    expect(started.status).toBe(303);
    const { id, url } = authnRequestOf(started.headers.location);
    expect(`${url.origin}${url.pathname}`).toBe(idp.ssoUrl);
    const users = await userCount(t, tenant.key);
    const api = (await t.http.get(`/api/v1/tenants/${tenant.key}/saml`).set('Authorization', t.admin)).body;
    const response = idp.signedResponse({
      acsUrl: api.acsUrl,
      spEntityId: api.spEntityId,
      idpEntityId: idp.entityId,
      nameId: 'uid-tester',
      inResponseTo: id,
      attributes: {
        mail: 'tester@acme.example',
        givenName: 'Tess',
        sn: 'Ter',
        group_uid: 'g-42',
        group_name: 'Team 42',
        group_role: 'Super Admin',
      },
    });
    const consumed = await postResponse(admin, tenant.key, response);
    expect(consumed.status).toBe(303);
    expect(consumed.headers.location).toMatch(new RegExp(`^/console/tenants/${tenant.key}/saml/test/_[0-9a-f]{40}$`));
    const result = await admin.get(consumed.headers.location);
    expect(result.status).toBe(200);
    const html = decode(result.text);
    expect(html).toContain('passed every check');
    expect(html).toMatch(/data-testid="test-nameid">uid-tester</);
    expect(html).toMatch(/data-testid="test-email">tester@acme.example</);
    expect(html).toMatch(/data-testid="test-role">owner/);
    expect(html).toContain('create the user tester@acme.example');
    expect(html).toContain('create the organization “Team 42”');
    expect(await userCount(t, tenant.key)).toBe(users);
    // Still the admin, signed in to the console, not the tested person.
    expect((await admin.get('/console')).status).toBe(200);
    // Shown once.
    expect((await admin.get(consumed.headers.location)).status).toBe(404);
  });

  it('looks right in a real browser', async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the screenshot`);
      process.stderr.write(`\n  [skipped] SAML tab screenshot: no Chromium at ${CHROMIUM}\n`);
      return;
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    try {
      const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
      const p = await context.newPage();
      await p.goto('/console/login');
      await p.getByLabel('Email').fill(ADMIN_EMAIL);
      await p.getByLabel('Password').fill(ADMIN_PASSWORD);
      await Promise.all([p.waitForURL('**/console'), p.getByRole('button', { name: 'Sign in' }).click()]);
      await p.goto(page());
      expect(await p.getByRole('heading', { name: 'For the IdP' }).isVisible()).toBe(true);
      expect(await p.getByTestId('expiring-certificates').isVisible()).toBe(true);
      await p.screenshot({ path: `/tmp/saml-console-${kind}.png`, fullPage: true });
      expect(csrfOf(await p.content())).toBeTruthy();
    } finally {
      await browser.close();
    }
  });

  it('asks before turning sign-in off, and the first save changes nothing', async () => {
    const samlEnabled = async () => (await t.http.get(`/api/v1/tenants/${tenant.key}/saml`).set('Authorization', t.admin)).body.enabled;
    expect(await samlEnabled()).toBe(true);
    const asked = await admin.submit(page(), settingsForm({ clockSkewSeconds: '90' }));
    expect(asked.status).toBe(200);
    const question = decode(asked.text);
    expect(question).toMatch(/Turn off SAML sign-in for “[^”]+”\?/);
    expect(question).toContain("this tenant's users can no longer sign in through the IdP");
    expect(await samlEnabled()).toBe(true);
    // Confirming sends what the page carries: every typed value, and the admin's yes.
    const fields = Object.fromEntries(
      [...asked.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], decode(m[2])]),
    );
    expect(fields).toMatchObject({ clockSkewSeconds: '90', confirmTurnOff: 'yes' });
    expect((await admin.postRaw(page(), fields)).status).toBe(303);
    const api = (await t.http.get(`/api/v1/tenants/${tenant.key}/saml`).set('Authorization', t.admin)).body;
    expect(api).toMatchObject({ enabled: false, clockSkewSeconds: 90 });
    expect(decode((await admin.get(page())).text)).toContain('SAML settings saved. Sign-in through the IdP is off.');
    // Off already: saving again asks nothing.
    expect((await admin.submit(page(), settingsForm())).status).toBe(303);
  });
});
