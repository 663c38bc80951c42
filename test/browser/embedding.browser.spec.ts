import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { CHROMIUM, chromiumPresent, LAUNCH_ARGS } from '../support/browser';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { loginPath, rotateAutologinSecret } from '../support/portal';
import { startTestApp, type TestApp } from '../support/test-app';

const PASSWORD = 'Lagoon-Kestrel-83-pier';

/**
 * A partner portal embedding Portico, in a real Chromium. The portal is a tiny page served from
 * another local origin. Portico runs on http://127.0.0.1:<port>; the allowed portal on
 * http://127.0.0.1:<other port> is another origin but the same site (a site ignores the port), so
 * the session cookie (SameSite=Lax over plain http) is sent inside its frame, as it would be with
 * SameSite=None over HTTPS in production. The refused portal is http://localhost:<port>: another
 * origin that the tenant does not list (and another site too).
 */
describe('embedding Portico in a partner portal (Chromium)', () => {
  let t: TestApp;
  let tenant: TenantFixture;
  let secret: string;
  let browser: Browser;
  let context: BrowserContext;
  let portal: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let n = 0;

  beforeAll(async () => {
    if (!chromiumPresent) {
      if (process.env.CI === 'true')
        throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests (apt-get install chromium)`);
      process.stderr.write(`\n  [skipped] embedding browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium to run them)\n\n`);
      return;
    }
    t = await startTestApp('sqlite');
    tenant = await makeTenant(t);
    secret = await rotateAutologinSecret(t, tenant.key);
    portal = await portalServer('127.0.0.1');
    stranger = await portalServer('localhost');
    await t.http
      .put(`/api/v1/tenants/${tenant.key}/settings`)
      .set('Authorization', t.admin)
      .send({ embedOrigins: [portal.origin] })
      .expect(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([portal, stranger].map((p) => p && new Promise((r) => p.server.close(r))));
    await t?.close();
  });

  beforeEach(async () => {
    if (!chromiumPresent) return;
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  });
  afterEach(async () => context?.close());

  /** A portal page at `origin` with Portico's `src` in an iframe. */
  async function openPortal(origin: string, src: string): Promise<{ page: Page; messages: string[] }> {
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    await page.goto(`${origin}/portal?src=${encodeURIComponent(src)}`);
    await page.waitForLoadState('load');
    return { page, messages };
  }

  function porticoFrame(page: Page): Frame {
    const frame = page.frames().find((f) => f !== page.mainFrame());
    if (!frame) throw new Error('the portal page has no frame');
    return frame;
  }

  async function autologinUrl(): Promise<{ url: string; login: string }> {
    const login = `framed-${++n}@kestrel.example`;
    const res = await t.http.post('/api/auth/autologin').send({ login, firstName: 'Kes', lastName: 'Trel', token: secret }).expect(200);
    return { url: `${t.baseUrl}${loginPath(res.body.loginUrl)}`, login };
  }

  it('signs the user in inside the frame of an allowed portal', async () => {
    if (!chromiumPresent) return;
    const { url, login } = await autologinUrl();
    const { page } = await openPortal(portal.origin, url);
    const frame = page.frameLocator('#portico');
    await frame.getByTestId('email').waitFor({ timeout: 10_000 });
    expect(await frame.getByTestId('email').innerText()).toBe(login);
    expect(new URL(porticoFrame(page).url()).pathname).toBe('/account');
    await page.screenshot({ path: '/tmp/embedding-allowed.png' });

    // The session lives on: Portico opened on its own in the same browser shows the same account.
    const own = await context.newPage();
    await own.goto(`${t.baseUrl}/account`);
    expect(await own.getByTestId('email').innerText()).toBe(login);
  });

  it('lets a person sign in with a password on the tenant sign-in page inside the frame', async () => {
    if (!chromiumPresent) return;
    const user = await makeUser(t, tenant.auth, { password: PASSWORD });
    const { page } = await openPortal(portal.origin, `${t.baseUrl}/t/${tenant.key}/login`);
    const frame = page.frameLocator('#portico');
    await frame.getByLabel('Email or username').fill(user.email);
    await frame.getByLabel('Password').fill(PASSWORD);
    await frame.getByLabel('Password').press('Enter');
    await frame.getByTestId('email').waitFor({ timeout: 10_000 });
    expect(await frame.getByTestId('email').innerText()).toBe(user.email);
  });

  it('is refused by Chromium in the frame of a portal the tenant does not list', async () => {
    if (!chromiumPresent) return;
    const { url } = await autologinUrl();
    const { page, messages } = await openPortal(stranger.origin, url);
    await page.waitForTimeout(300); // let the frame settle into its error page
    const frame = porticoFrame(page);
    expect(frame.url()).toMatch(/^chrome-error:/);
    expect(await page.frameLocator('#portico').getByTestId('email').count()).toBe(0);
    expect(messages.join('\n')).toMatch(/frame-ancestors/);
    await page.screenshot({ path: '/tmp/embedding-refused.png' });
  });

  it('is refused by Chromium for pages outside a tenant context, even in an allowed portal', async () => {
    if (!chromiumPresent) return;
    const { page, messages } = await openPortal(portal.origin, `${t.baseUrl}/login`);
    await page.waitForTimeout(300);
    expect(porticoFrame(page).url()).toMatch(/^chrome-error:/);
    expect(messages.join('\n')).toMatch(/frame-ancestors|X-Frame-Options/);
  });
});

/** The partner portal: one page that frames whatever `src` it is given. */
function portalServer(host: '127.0.0.1' | 'localhost'): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://portal');
    if (url.pathname !== '/portal') return void res.writeHead(404).end();
    const src = (url.searchParams.get('src') ?? '').replace(/[<>"&]/g, '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Partner portal</title><h1>Partner portal</h1><iframe id="portico" src="${src}" width="1000" height="600"></iframe>`,
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://${host}:${(server.address() as AddressInfo).port}` })),
  );
}
