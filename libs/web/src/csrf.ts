import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isStatelessPath } from './route-kinds';

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) =>
    ((req.body as Record<string, unknown> | undefined)?._csrf as string | undefined) ?? (req.headers['x-csrf-token'] as string | undefined),
  errorConfig: {
    statusCode: 403,
    message: 'This form has expired or did not come from Portico. Reload the page and try again.',
    code: 'EBADCSRFTOKEN',
  },
});

// Routes that do start a session but are posted to by another site by design, so they cannot carry
// Portico's token: the SAML ACS, whose signed response and InResponseTo check stand in for it.
const CROSS_SITE_POSTS = [/^\/t\/[^/]+\/saml\/consume$/];

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
