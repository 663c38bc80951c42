import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RouteKinds } from '@portico/core';

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) =>
    ((req.body as Record<string, unknown> | undefined)?._csrf as string | undefined) ?? (req.headers['x-csrf-token'] as string | undefined),
  errorConfig: {
    statusCode: 403,
    message: 'This form has expired or did not come from Portico. Reload the page and try again.',
    code: 'EBADCSRFTOKEN',
  },
});

/**
 * CSRF protection (synchroniser token in the session) for every page; machine routes read no
 * session, and a page another site posts to by design declares itself so (see RouteKinds).
 */
export function csrfMiddleware(routes: RouteKinds): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (routes.of(req).kind !== 'page') return next();
    return csrfSynchronisedProtection(req, res, next);
  };
}

/** The token to put in a form's hidden `_csrf` field. */
export function csrfToken(req: Request): string {
  return generateToken(req);
}
