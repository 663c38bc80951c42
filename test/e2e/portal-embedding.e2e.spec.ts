import type { Response } from 'supertest';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { loginPath, rotateAutologinSecret } from '../support/portal';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { WebSession } from '../support/web-session';

const PORTAL = 'https://portal.example.com';
const LOCAL_PORTAL = 'http://127.0.0.1:8123';

const frameAncestors = (res: Response) => /frame-ancestors ([^;]+)/.exec(String(res.headers['content-security-policy']))?.[1] ?? null;
const framedBy = (res: Response) => ({ ancestors: frameAncestors(res), xfo: res.headers['x-frame-options'] ?? null });
const REFUSED = { ancestors: "'none'", xfo: 'DENY' };

/** Embedding: a tenant's portal may frame the pages served in that tenant's context, and nobody may frame anything else. */
describe.each(databaseKinds())('embedding in a portal (%s)', (kind) => {
  let t: TestApp;
  let tenant: TenantFixture;
  let plain: TenantFixture;
  let secret: string;
  const setOrigins = (key: string, embedOrigins: string[]) =>
    t.http.put(`/api/v1/tenants/${key}/settings`).set('Authorization', t.admin).send({ embedOrigins }).expect(200);
  const autologinLink = async (login: string) => {
    const res = await t.http.post('/api/auth/autologin').send({ login, firstName: 'Em', lastName: 'Bed', token: secret }).expect(200);
    return loginPath(res.body.loginUrl);
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    tenant = await makeTenant(t);
    plain = await makeTenant(t);
    secret = await rotateAutologinSecret(t, tenant.key);
    await setOrigins(tenant.key, [PORTAL, LOCAL_PORTAL]);
    await t.http.put(`/api/v1/tenants/${tenant.key}/settings`).set('Authorization', t.admin).send({ signupEnabled: true }).expect(200);
  });
  afterAll(async () => t?.close());

  it("lets the tenant's origins frame its sign-in and sign-up pages, keeping the rest of the policy", async () => {
    for (const path of [`/t/${tenant.key}/login`, `/t/${tenant.key}/signup`]) {
      const res = await new WebSession(t).get(path);
      expect(res.status).toBe(200);
      expect({ path, ...framedBy(res) }).toEqual({ path, ancestors: `${PORTAL} ${LOCAL_PORTAL}`, xfo: null });
      expect(res.headers['content-security-policy']).toContain("default-src 'self';script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("object-src 'none'");
    }
  });

  it('refuses framing everywhere else', async () => {
    const browser = new WebSession(t);
    for (const path of ['/login', '/console/login', `/t/${plain.key}/login`, '/t/no-such-tenant/login', '/health', '/api/docs']) {
      expect({ path, ...framedBy(await browser.get(path)) }).toEqual({ path, ...REFUSED });
    }
    expect(framedBy(await t.http.get('/api/v1/users').set('Authorization', tenant.auth))).toEqual(REFUSED);
    const admin = new WebSession(t);
    await admin.login(ADMIN_EMAIL, ADMIN_PASSWORD, '/console/login');
    expect(framedBy(await admin.get(`/console/tenants/${tenant.key}`))).toEqual(REFUSED);
  });

  it('lets the portal frame the autologin landing and the account pages of its users', async () => {
    const browser = new WebSession(t);
    const link = await autologinLink(`framed-${kind}@bed.example`);
    const landing = await browser.get(link);
    expect(landing.status).toBe(303);
    expect(framedBy(landing)).toEqual({ ancestors: `${PORTAL} ${LOCAL_PORTAL}`, xfo: null });
    for (const path of ['/account', '/account/authenticator']) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      expect({ path, ...framedBy(page) }).toEqual({ path, ancestors: `${PORTAL} ${LOCAL_PORTAL}`, xfo: null });
    }
    // A spent link still answers inside the frame, so the portal's user reads why.
    const spent = await browser.get(link);
    expect(spent.status).toBe(410);
    expect(frameAncestors(spent)).toBe(`${PORTAL} ${LOCAL_PORTAL}`);
    // Signing out lands on the tenant's sign-in page, which stays inside the frame.
    const out = await browser.logout();
    expect(out.headers.location).toBe(`/t/${tenant.key}/login?signedOut=1`);
    const signedOut = await browser.get(out.headers.location);
    expect(signedOut.text).toContain('You are signed out.');
    expect(frameAncestors(signedOut)).toBe(`${PORTAL} ${LOCAL_PORTAL}`);
  });

  it("refuses framing of another tenant's users' and direct users' account pages", async () => {
    const direct = await makeUser(t, t.admin, { password: 'Correct-Heron-42-lake' });
    const browser = new WebSession(t);
    await browser.login(direct.email, 'Correct-Heron-42-lake');
    expect(framedBy(await browser.get('/account'))).toEqual(REFUSED);
  });

  it('follows a change of the origins on the next request', async () => {
    const other = await makeTenant(t);
    expect(framedBy(await new WebSession(t).get(`/t/${other.key}/login`))).toEqual(REFUSED);
    await setOrigins(other.key, ['https://new-portal.example']);
    expect(frameAncestors(await new WebSession(t).get(`/t/${other.key}/login`))).toBe('https://new-portal.example');
    await setOrigins(other.key, []);
    expect(framedBy(await new WebSession(t).get(`/t/${other.key}/login`))).toEqual(REFUSED);
  });

  it('keeps session cookies SameSite=Lax over plain http', async () => {
    const landing = await new WebSession(t).get(await autologinLink(`lax-${kind}@bed.example`));
    const cookie = [landing.headers['set-cookie']].flat().find((c) => String(c).startsWith('portico.sid='));
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });
});

/** Over HTTPS the session cookie must reach Portico inside the portal's (cross-site) frame: SameSite=None; Secure. */
describe.each(databaseKinds())('embedding behind HTTPS (%s)', (kind) => {
  let t: TestApp;
  let tenant: TenantFixture;
  let plain: TenantFixture;
  const https = (b: WebSession, path: string) => b.agent.get(path).set('Accept', 'text/html').set('X-Forwarded-Proto', 'https');
  const sessionCookie = (res: Response) => [res.headers['set-cookie'] ?? []].flat().find((c) => String(c).startsWith('portico.sid='));

  beforeAll(async () => {
    t = await startTestApp(kind, { PUBLIC_URL: 'https://portico.example.com', TRUST_PROXY: 'loopback' });
    tenant = await makeTenant(t);
    plain = await makeTenant(t);
    await t.http
      .put(`/api/v1/tenants/${tenant.key}/settings`)
      .set('Authorization', t.admin)
      .send({ embedOrigins: [PORTAL] })
      .expect(200);
  });
  afterAll(async () => t?.close());

  it('makes the session cookie SameSite=None; Secure for an embeddable tenant, from its sign-in page through the landing', async () => {
    const secret = await rotateAutologinSecret(t, tenant.key);
    const issued = await t.http
      .post('/api/auth/autologin')
      .send({ login: `secure-${kind}@bed.example`, firstName: 'Se', lastName: 'Cure', token: secret })
      .expect(200);
    expect(issued.body.loginUrl).toMatch(/^https:\/\/portico\.example\.com\/auth\/session\//);
    const landing = await https(new WebSession(t), loginPath(issued.body.loginUrl));
    expect(landing.status).toBe(303);
    expect(sessionCookie(landing)).toMatch(/SameSite=None/);
    expect(sessionCookie(landing)).toMatch(/Secure/);
    expect(sessionCookie(landing)).toMatch(/HttpOnly/);

    const page = await https(new WebSession(t), `/t/${tenant.key}/login`);
    expect(sessionCookie(page)).toMatch(/SameSite=None; Secure|Secure; SameSite=None/);
  });

  it('keeps SameSite=Lax for everything else', async () => {
    for (const path of ['/login', `/t/${plain.key}/login`, '/console/login']) {
      const cookie = sessionCookie(await https(new WebSession(t), path));
      expect({ path, cookie }).toEqual({ path, cookie: expect.stringMatching(/SameSite=Lax/) });
      expect(cookie).toMatch(/Secure/);
    }
  });
});
