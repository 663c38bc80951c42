import { existsSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
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

/** Clicks something that loads a new page, and waits for that page. */
export async function follow(target: Locator): Promise<void> {
  const loaded = target.page().waitForEvent('load');
  await target.click();
  await loaded;
}

/**
 * A page at `baseUrl`, 1280 px wide, signed in to the console as the first administrator. Script
 * errors and console errors, Content-Security-Policy refusals among them, go to `problems`; the
 * failed loads of error statuses a test provokes do not.
 */
export async function consoleSession(browser: Browser, baseUrl: string, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 } });
  await context.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  await page.goto('/console/login');
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await follow(page.getByRole('button', { name: 'Sign in' }));
  return page;
}
