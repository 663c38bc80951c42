import * as oidc from 'openid-client';
import type { Response } from 'supertest';
import { WebSession } from './web-session';
import { startTestApp, type TestApp } from './test-app';
import type { DbKind } from './databases';
import { freePort } from './ports';

/** The app listening where its PUBLIC_URL says, so the issuer in discovery is the address a relying party calls. */
export async function startOidcApp(kind: DbKind, env: Record<string, string> = {}): Promise<TestApp & { issuer: string }> {
  const port = await freePort();
  const t = await startTestApp(kind, { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...env });
  return Object.assign(t, { issuer: `${t.baseUrl}/oidc` });
}

/** openid-client's view of the provider for one client (plain http is allowed: tests run on loopback). */
export function relyingParty(issuer: string, clientId: string, clientSecret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, clientSecret, clientSecret ? undefined : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface BrowserOutcome {
  /** The URL the browser was sent back to at the application, if it got there. */
  callback: URL | null;
  /** The last page it stopped at otherwise (sign-in, consent, error). */
  page: Response | null;
  /** Every URL it visited, in order. */
  visited: string[];
}

/**
 * A browser following redirects from `start` until it reaches `redirectUri` (the application) or
 * a page; with `credentials`, it signs in on the sign-in page it is sent to and carries on.
 */
export async function browse(
  web: WebSession,
  start: string,
  redirectUri: string,
  credentials?: { login: string; password: string },
): Promise<BrowserOutcome> {
  const visited: string[] = [];
  let url = new URL(start);
  let signedIn = false;
  for (let hop = 0; hop < 15; hop++) {
    visited.push(url.toString());
    if (url.toString().startsWith(redirectUri)) return { callback: url, page: null, visited };
    const res = await web.get(url.pathname + url.search);
    if (res.status === 200 && /\/login$/.test(url.pathname) && credentials && !signedIn) {
      signedIn = true;
      const next = url.searchParams.get('next') ?? '/account';
      const posted = await web.submit(
        url.pathname,
        { login: credentials.login, password: credentials.password, next },
        url.pathname + url.search,
      );
      if (posted.status !== 303) return { callback: null, page: posted, visited };
      url = new URL(posted.headers.location, url);
      continue;
    }
    if (res.status !== 302 && res.status !== 303) return { callback: null, page: res, visited };
    url = new URL(res.headers.location, url);
  }
  throw new Error(`too many redirects: ${visited.join(' → ')}`);
}

/** The code flow's first half: an authorization URL with PKCE and state, and what is needed to finish it. */
export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  params: Record<string, string> = {},
): Promise<{ url: URL; verifier: string; state: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email organizations',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  return { url, verifier, state };
}
