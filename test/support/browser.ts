import { existsSync } from 'node:fs';

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
