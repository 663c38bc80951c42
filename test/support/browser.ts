import { existsSync } from 'node:fs';
import type { Locator } from 'playwright-core';

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
