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

const API_HEADERS = Symbol('apiHeaders');

/**
 * The page headers for an HTML page answered on a machine route (an error page a browser asked
 * for); a page route keeps its own, which may allow a portal to frame it.
 */
export function usePageHeaders(req: Request, res: Response): void {
  // Every header of the API set is one the page set writes too, so this replaces them all.
  if ((res.locals as Record<symbol, boolean>)[API_HEADERS]) strict(req, res, () => undefined);
}

/**
 * Secure headers on every response: pages get a strict Content-Security-Policy and may not be
 * framed; machine routes get the short API set with `Cache-Control: no-store`.
 */
export function securityHeaders(routes: RouteKinds): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const { kind } = routes.of(req);
    if (kind === 'docs') return docs(req, res, next);
    if (kind !== 'machine' && kind !== 'own') return strict(req, res, next);
    (res.locals as Record<symbol, boolean>)[API_HEADERS] = true;
    res.setHeader('Cache-Control', 'no-store');
    api(req, res, next);
  };
}

// The page policy as one header value, built once; a tenant page only appends its frame-ancestors.
const PAGE_POLICY = Object.entries(PAGE_DIRECTIVES)
  .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
  .join(';');
// Origins are validated when stored; this keeps anything else out of the header all the same.
const ORIGIN = /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/;

/**
 * The Content-Security-Policy of a page a tenant's portal may frame: the usual page policy with
 * `frame-ancestors` listing the tenant's origins.
 */
export function framingPolicy(origins: string[]): string {
  const allowed = origins.filter((o) => ORIGIN.test(o));
  return `${PAGE_POLICY};frame-ancestors ${allowed.length ? allowed.join(' ') : "'none'"}`;
}

/**
 * Lets the forms of this one page lead to `target`'s origin: a browser holds a form's whole
 * redirect chain to the page's `form-action`, so a form answered by a redirect to another site
 * (a test login at an IdP) needs that origin listed. Nothing else of the policy changes.
 */
export function allowFormTarget(res: Response, target: string): void {
  let origin: string;
  try {
    origin = new URL(target).origin;
  } catch {
    return;
  }
  const policy = res.getHeader('Content-Security-Policy');
  if (typeof policy !== 'string' || !ORIGIN.test(origin)) return;
  res.setHeader(
    'Content-Security-Policy',
    policy.replace(/(^|;)\s*form-action ([^;]*)/, (_m, lead: string, values: string) => `${lead}form-action ${values} ${origin}`),
  );
}
