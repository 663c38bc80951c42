import { CookieAccessInfo, type CookieJar } from 'cookiejar';
import request, { type Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type TestApp } from './test-app';

/** A form as a browser sends it: fields with one value or several. */
export type Form = Record<string, string | string[]>;

/**
 * A person at a browser, over HTTP: one cookie jar, forms filled the way a page offers them
 * (GET the page, read its `_csrf`, POST). `ip` is sent as X-Forwarded-For, for apps started with
 * TRUST_PROXY=loopback (the test client is the trusted proxy), so suites can keep their brute-force counters apart.
 */
export class WebSession {
  readonly agent: TestAgent;

  constructor(
    readonly t: TestApp,
    readonly ip?: string,
  ) {
    this.agent = request.agent(t.app.getHttpServer());
  }

  get(path: string): Promise<Response> {
    return this.with(this.agent.get(path).set('Accept', 'text/html'));
  }

  /** POSTs a form as-is (the caller supplies `_csrf`, or deliberately does not). */
  postRaw(path: string, form: Form | string): Promise<Response> {
    return this.with(this.agent.post(path).type('form').set('Accept', 'text/html').send(form));
  }

  /** GETs `page` (default: the form's own path), then POSTs the form with that page's token. */
  async submit(path: string, form: Form, page = path): Promise<Response> {
    const res = await this.get(page);
    const csrf = csrfOf(res.text);
    return this.postRaw(path, { _csrf: csrf, ...form });
  }

  /** The token of the current session, read from any page that has a form. */
  async csrf(page = '/login'): Promise<string> {
    return csrfOf((await this.get(page)).text);
  }

  login(login: string, password: string, page = '/login'): Promise<Response> {
    return this.submit(page, { login, password });
  }

  async logout(): Promise<Response> {
    const csrf = await this.csrf('/account');
    return this.postRaw('/logout', { _csrf: csrf });
  }

  /** The value of the session cookie the jar holds now, if any. */
  sessionCookie(): string | null {
    const jar = (this.agent as unknown as { jar: CookieJar }).jar;
    return jar.getCookie('portico.sid', new CookieAccessInfo('127.0.0.1', '/', false, false))?.value ?? null;
  }

  private with<T extends request.Test>(req: T): T {
    return (this.ip ? req.set('X-Forwarded-For', this.ip) : req) as T;
  }
}

/** A session signed in to the console as the first administrator, from `ip` when given. */
export async function consoleAdmin(t: TestApp, ip?: string): Promise<WebSession> {
  const admin = new WebSession(t, ip);
  expect((await admin.submit('/console/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).headers.location).toBe('/console');
  return admin;
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no _csrf field on the page:\n${html.slice(0, 500)}`);
  return m[1];
}

/** The text of the page's alert (the error a person sees), if any. */
export function alertOf(html: string): string | null {
  const m = /role="alert"[^>]*>([\s\S]*?)<\/(p|div)>/.exec(html);
  return m
    ? decode(
        m[1]
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      )
    : null;
}

export function decode(text: string): string {
  return text
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Requests a cookie-less caller makes with a session cookie value it copied (an attacker replaying it). */
export function withCookie(t: TestApp, sid: string) {
  const server = t.app.getHttpServer();
  return {
    get: (path: string) => request(server).get(path).set('Accept', 'text/html').set('Cookie', `portico.sid=${sid}`),
  };
}

/**
 * watchResponses' findings minus one false alarm: the settings answers carry the boolean switch
 * `methods.password` (is password sign-in on?), which is no secret.
 */
export function realProblems(found: string[]): string[] {
  return found.filter((p) => !/\/settings(\/authentication)? → 200: answer contains "password"$/.test(p));
}
