import { isIP } from 'node:net';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `raw` may not be registered as a redirect (or post-logout redirect) URI, or null when it
 * may: an absolute https URL, or http on a loopback host for development (RFC 8252 §7.3), with no
 * fragment, no wildcard, no user info, and written as it will be matched (exactly, character for character).
 */
export function redirectUriProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://app.example.com/callback';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
    return 'must use https (plain http only on localhost, 127.0.0.1 or [::1])';
  if (raw.includes('#')) return 'must not have a #fragment';
  if (raw.includes('*')) return 'must not contain a wildcard';
  if (url.username || url.password || /^[a-z]+:\/\/[^/]*@/i.test(raw)) return 'must not carry a user name or password';
  if (!url.hostname || (url.hostname.startsWith('[') === false && isIP(url.hostname) === 0 && !/^[a-z0-9.-]+$/i.test(url.hostname)))
    return 'must name a valid host';
  // The provider compares exactly: a URI that the URL parser would rewrite (dot segments, case,
  // default port) could never match what the browser is sent back to.
  const bareOrigin = url.pathname === '/' && !url.search && url.href === `${raw}/`;
  if (url.href !== raw && !bareOrigin) return `must be written in normal form (${url.href})`;
  return null;
}
