import { UAParser } from 'ua-parser-js';

// ua-parser-js's names where people use others.
const OS_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS', 'Chrome OS': 'ChromeOS' };

/** A User-Agent header as a person reads it: "Chrome on macOS", "Firefox on Windows"; "Unknown browser" when it says nothing. */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown browser';
  const { browser, os } = new UAParser(userAgent).getResult();
  const osName = os.name ? (OS_NAMES[os.name] ?? os.name) : null;
  if (browser.name && osName) return `${browser.name} on ${osName}`;
  if (browser.name) return browser.name;
  if (osName) return `A browser on ${osName}`;
  // A program rather than a browser (curl, a test client): its own first word says most.
  const product = /^[\w.-]{1,40}/.exec(userAgent)?.[0];
  return product ?? 'Unknown browser';
}
