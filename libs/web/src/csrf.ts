import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) =>
    ((req.body as Record<string, unknown> | undefined)?._csrf as string | undefined) ?? (req.headers['x-csrf-token'] as string | undefined),
  errorConfig: {
    statusCode: 403,
    message: 'This form has expired or did not come from Portico. Reload the page and try again.',
    code: 'EBADCSRFTOKEN',
  },
});

// Routes that no browser form posts to and that need no session: the JSON API authenticates with
// the Authorization header only, so a forged cross-site request carries no credentials there.
const STATELESS = [
  /^\/api\//,
  /^\/health(\/|$)/,
  // Static files and the browser's own favicon probe. With rolling sessions every response that
  // passes the session middleware re-sends the cookie, so a stylesheet or favicon answered after a
  // sign-in's redirect would put the old, signed-out session id back in the browser.
  /^\/assets\//,
  /^\/favicon\.ico$/,
  // Machine-to-machine endpoints of later modules: other systems call them, no browser does.
  /^\/external-login$/,
  /^\/entitlements\/check$/,
  // Tenant-keyed machine routes (HTTP Basic with the tenant's API key): the manifest, account
  // webhooks and data-sharing notifications.
  /^\/t\/[^/]+\/metadata$/,
  /^\/t\/[^/]+\/account\/groups\//,
  /^\/t\/[^/]+\/data\/notifications$/,
];

// Routes that do start a session but are posted to by another site by design, so they cannot carry
// Portico's token: the SAML ACS, whose signed response and InResponseTo check stand in for it.
const CROSS_SITE_POSTS = [/^\/t\/[^/]+\/saml\/consume$/];

export function isStatelessPath(path: string): boolean {
  return STATELESS.some((re) => re.test(path));
}

/** CSRF protection (synchroniser token in the session) for every form-posting route. */
export function csrfMiddleware(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (isStatelessPath(req.path) || CROSS_SITE_POSTS.some((re) => re.test(req.path))) return next();
    return csrfSynchronisedProtection(req, res, next);
  };
}

/** The token to put in a form's hidden `_csrf` field. */
export function csrfToken(req: Request): string {
  return generateToken(req);
}
