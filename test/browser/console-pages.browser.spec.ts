import type { Browser, Page } from 'playwright-core';

// What the checks below read in the page (the project compiles without the DOM's types).
interface Anchor {
  origin: string;
  pathname: string;
  search: string;
  hasAttribute(name: string): boolean;
}
interface Box {
  tagName: string;
  className: unknown;
  id?: string;
  getBoundingClientRect(): { right: number };
}
interface Doc {
  documentElement: { scrollWidth: number; clientWidth: number };
  activeElement: Box | null;
  querySelectorAll(selector: string): ArrayLike<Box>;
}
// Used inside page.evaluate callbacks, which run in the page: a type only, nothing to serialize.
type InPage = { document: Doc; location: { origin: string } };
import { browserTests, consoleSignIn, launchChromium } from '../support/browser';
import { makeOrganization, makeTenant, makeUser } from '../support/factories';
import { startTestApp, type TestApp } from '../support/test-app';

const MAX_PAGES = 250;
// Pages of one shape (ids and query values aside) beyond this many are the same page again.
const PER_SHAPE = 2;

/** Every console page an admin can reach by clicking, with some data present, checked as it loads. */
(browserTests('console pages') ? describe : describe.skip)('every console page in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const tenant = await makeTenant(t, 'crawl-tenant');
    const org = await makeOrganization(t, t.admin, { name: 'Crawl Org', tenantKey: tenant.key });
    await makeUser(t, t.admin, { email: 'ada@crawl.example', tenantKey: tenant.key, organizationId: org.id });
    await t.http
      .post('/api/v1/webhooks/endpoints')
      .set('Authorization', t.admin)
      .send({ url: 'https://hooks.crawl.example/in', events: ['user.created'], tenantKey: tenant.key })
      .expect(201);
    await t.http
      .post('/api/v1/oidc/clients')
      .set('Authorization', t.admin)
      .send({ name: 'Crawl App', redirectUris: ['https://app.crawl.example/callback'] })
      .expect(201);

    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: t.baseUrl, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    const here = () => new URL(page.url()).pathname + new URL(page.url()).search;
    page.on('pageerror', (e) => problems.push(`${here()}: page error ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${here()}: console error ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && r.url().startsWith(t.baseUrl)) problems.push(`${r.url().slice(t.baseUrl.length)}: answered ${r.status()}`);
    });
    await consoleSignIn(page);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  beforeEach(() => {
    problems = [];
  });

  it('opens every page reachable from the menu without an error, a CSP violation or a page wider than 1280 px', async () => {
    const visited = crawl(await menuLinks(page));
    const seen: string[] = [];
    const shapes = new Map<string, number>();
    for (let next = visited.next(); !next.done && seen.length < MAX_PAGES;) {
      const path = next.value;
      const shape = shapeOf(path);
      if ((shapes.get(shape) ?? 0) >= PER_SHAPE) {
        next = visited.next([]);
        continue;
      }
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      seen.push(path);
      const res = await page.goto(path);
      if (!res || res.status() >= 300) problems.push(`${path}: answered ${res?.status() ?? 'nothing'}`);
      const wide = await pageWiderThanWindow(page);
      if (wide) problems.push(`${path}: scrolls sideways at 1280 px (${wide})`);
      next = visited.next(await pageLinks(page));
    }
    // The crawl reached the areas it is meant to check, with their data.
    expect(seen).toEqual(expect.arrayContaining(['/console/tenants', '/console/tenants/crawl-tenant', '/console/webhooks']));
    expect(seen.some((p) => /^\/console\/organizations\/[0-9a-f-]{36}$/.test(p))).toBe(true);
    expect(seen.length).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it('fits every menu page into a 390 px phone screen: wide tables scroll inside their box', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of await menuLinks(page)) {
      await page.goto(path);
      const wide = await pageWiderThanWindow(page);
      if (wide) problems.push(`${path}: scrolls sideways at 390 px (${wide})`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(problems).toEqual([]);
  });

  it('answers a mistyped console address with the console’s own 404 page, its menu and a way on', async () => {
    const res = await page.goto('/console/no-such-page?x=1');
    expect(res?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('404 · Not Found');
    await page.getByText('There is no console page at /console/no-such-page.').waitFor();
    expect(await page.locator('nav.sidenav a').count()).toBeGreaterThan(5);
    await page.getByRole('link', { name: 'Back to the dashboard' }).waitFor();
    // The JSON API keeps its JSON 404.
    const api = await fetch(`${t.baseUrl}/api/v1/no-such-thing`, { headers: { Authorization: t.admin } });
    expect([api.status, ((await api.json()) as { statusCode: number }).statusCode]).toEqual([404, 404]);
    problems = problems.filter((p) => !p.startsWith('/console/no-such-page?x=1: answered 404') && !p.includes('Failed to load resource'));
    expect(problems).toEqual([]);
  });

  it('serves an icon and offers “Skip to content” as the first thing a keyboard reaches', async () => {
    const icon = await fetch(`${t.baseUrl}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    await page.goto('/console/tenants');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    expect(await skip.evaluate((a) => (a as unknown) === (globalThis as unknown as InPage).document.activeElement)).toBe(true);
    await skip.press('Enter');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id)).toBe('content');
  });
});

/**
 * Breadth-first over console paths: each step takes the links found on the page just visited and
 * yields the next path not yet seen.
 */
function* crawl(start: string[]): Generator<string, void, string[]> {
  const queue = [...start];
  const queued = new Set(queue);
  while (queue.length) {
    const found = yield queue.shift()!;
    for (const path of found) {
      if (queued.has(path)) continue;
      queued.add(path);
      queue.push(path);
    }
  }
}

/** A path with ids and query values blanked: pages of one shape are one page to check. */
function shapeOf(path: string): string {
  const url = new URL(path, 'http://x');
  const segments = url.pathname.split('/').map((s) => (/^[0-9a-f-]{36}$|^\d+$|^(tk|msg|whm|att)_/.test(s) ? ':id' : s));
  return `${segments.join('/')}?${[...url.searchParams.keys()].sort().join('&')}`;
}

async function menuLinks(page: Page): Promise<string[]> {
  await page.goto('/console');
  return page.locator('nav.sidenav a').evaluateAll((links) => links.map((a) => (a as unknown as Anchor).pathname));
}

/** Same-origin GET links under /console on this page, minus downloads and sign-out. */
function pageLinks(page: Page): Promise<string[]> {
  return page.locator('a[href]').evaluateAll((links) =>
    links
      .map((a) => a as unknown as Anchor)
      .filter((a) => a.origin === (globalThis as unknown as InPage).location.origin && /^\/console(\/|$)/.test(a.pathname))
      .filter((a) => !a.hasAttribute('download') && !/logout|export|\.csv$|\.json$|\.xml$/.test(a.pathname))
      .map((a) => a.pathname + a.search),
  );
}

/** '' when the page fits its window, else how much wider it is and the widest element. */
function pageWiderThanWindow(page: Page): Promise<string> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as InPage;
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return '';
    let widest = '';
    let right = 0;
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect().right;
      if (r >= right) {
        right = r;
        widest = `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''}`;
      }
    }
    return `${root.scrollWidth} > ${root.clientWidth}, widest ${widest}`;
  });
}
