import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { RouteKinds } from '@portico/core';

// Every page's policy but frame-ancestors, which depends on where the page is served (see framingPolicy).
const PAGE_DIRECTIVES: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
};

const strict = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { ...PAGE_DIRECTIVES, frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'same-origin' },
});

// Swagger UI ships inline styles; it gets its own, slightly looser policy and nothing else does.
const docs = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
});

// Machine routes answer JSON (or XML) to programs, not pages to browsers: the headers that only mean
// something for a document (COOP, Origin-Agent-Cluster, Referrer-Policy, the legacy X-* switches) are
// left out, as the OWASP REST Security Cheat Sheet lists them, and nothing may be cached.
const api = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

type HeaderList = { set: [string, string][]; removed: string[] };

/**
 * What a helmet middleware does to a response, recorded once. Our policies have no per-request
 * part (no nonces), so replaying the list gives the same headers without running helmet's dozen
 * nested middlewares on every request.
 */
function recorded(middleware: RequestHandler): HeaderList {
  const list: HeaderList = { set: [], removed: [] };
  const res = {
    setHeader: (name: string, value: unknown) => list.set.push([name, String(value)]),
    removeHeader: (name: string) => list.removed.push(name),
  };
  middleware({ method: 'GET', headers: {} } as Request, res as unknown as Response, () => undefined);
  return list;
}

function replay(res: Response, list: HeaderList): void {
  for (const [name, value] of list.set) res.setHeader(name, value);
  for (const name of list.removed) res.removeHeader(name);
}

let pageHeaders: HeaderList | null = null;

const API_HEADERS = Symbol('apiHeaders');

/**
 * The page headers for an HTML page answered on a machine route (an error page a browser asked
 * for); a page route keeps its own, which may allow a portal to frame it.
 */
export function usePageHeaders(res: Response): void {
  if (!(res.locals as Record<symbol, boolean>)[API_HEADERS]) return;
  replay(res, (pageHeaders ??= recorded(strict)));
}

/**
 * Secure headers on every response: pages get a strict Content-Security-Policy and may not be
 * framed; machine routes get the short API set with `Cache-Control: no-store`.
 */
export function securityHeaders(routes: RouteKinds): RequestHandler {
  const strictHeaders = recorded(strict);
  const docsHeaders = recorded(docs);
  const apiHeaders = recorded(api);
  apiHeaders.set.push(['Cache-Control', 'no-store']);
  return (req: Request, res: Response, next: NextFunction) => {
    const { kind } = routes.of(req);
    const machine = kind === 'machine' || kind === 'own';
    if (machine) (res.locals as Record<symbol, boolean>)[API_HEADERS] = true;
    replay(res, kind === 'docs' ? docsHeaders : machine ? apiHeaders : strictHeaders);
    next();
  };
}

// The page policy as one header value, built once; a tenant page only appends its frame-ancestors.
const PAGE_POLICY = Object.entries(PAGE_DIRECTIVES)
  .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
  .join(';');
// Origins are validated when stored; this keeps anything else out of the header all the same.
const ORIGIN = /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/;
const built = new Map<string, string>();

/**
 * The Content-Security-Policy of a page a tenant's portal may frame: the usual page policy with
 * `frame-ancestors` listing the tenant's origins. Memoised per list of origins.
 */
export function framingPolicy(origins: string[]): string {
  const key = origins.join(' ');
  let policy = built.get(key);
  if (!policy) {
    const allowed = origins.filter((o) => ORIGIN.test(o));
    policy = `${PAGE_POLICY};frame-ancestors ${allowed.length ? allowed.join(' ') : "'none'"}`;
    if (built.size >= 1000) built.clear();
    built.set(key, policy);
  }
  return policy;
}
