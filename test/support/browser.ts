import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './test-app';

// Debian's Chromium, installed by the system package manager; the tests never download a browser.
export const CHROMIUM = '/usr/bin/chromium';
export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const chromiumPresent = existsSync(CHROMIUM);

/**
 * Whether a browser suite can run: Chromium present. Without it the suite is skipped with a line
 * saying so, except under CI=true, where a missing browser fails the run.
 */
export function browserTests(suite: string): boolean {
  if (chromiumPresent) return true;
  if (process.env.CI === 'true')
    throw new Error(`Chromium is missing at ${CHROMIUM}; CI=true requires the browser tests (apt-get install chromium)`);
  process.stderr.write(`\n  [skipped] ${suite}: no Chromium at ${CHROMIUM}\n\n`);
  return false;
}

/** Debian's Chromium, headless, with the flags every suite uses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
}

/** Clicks something that loads a new page, and waits for that page. */
export async function follow(target: Locator): Promise<void> {
  const loaded = target.page().waitForEvent('load');
  await target.click();
  await loaded;
}

/** Clicks a button that posts a form; answers the status of that POST (before any redirect) once the page it leads to has loaded. */
export async function submit(button: Locator): Promise<number> {
  const posted = button.page().waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
  await follow(button);
  return (await posted).status();
}

/**
 * Script errors and console errors of `page`, Content-Security-Policy refusals among them (with
 * consoleSession's listener), go to `problems`; the failed loads of error statuses a test provokes
 * do not.
 */
export function collectProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
}

/** Signs `page` in to the console, the first administrator unless told, and waits for the page it lands on. */
export async function consoleSignIn(page: Page, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<void> {
  await page.goto('/console/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await follow(page.getByRole('button', { name: 'Sign in' }));
}

/**
 * A page at `baseUrl`, 1280 px wide, signed in to the console as the first administrator, its
 * problems (CSP refusals reported as console errors) collected into `problems`.
 */
export async function consoleSession(browser: Browser, baseUrl: string, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 } });
  await context.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  const page = await context.newPage();
  collectProblems(page, problems);
  await consoleSignIn(page);
  return page;
}

/**
 * With SCREENSHOTS=1, the page at a desktop and a phone width, into `/tmp/<name>-1280.png` and
 * `-390.png` (never into git), for a person to look at; otherwise nothing, so the suite does not
 * pay for pictures nobody views.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    // Let the layout settle at the new width before the picture.
    await page.waitForTimeout(200);
    await page.screenshot({ path: `/tmp/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
