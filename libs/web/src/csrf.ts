import { UnauthorizedException } from '@nestjs/common';
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
    return csrfSynchronisedProtection(req, res, (err?: unknown) => {
      // A console or account form sent after the session ended (its token ended with it): that is a
      // sign-in to ask for, which brings the person back to the form's page, not a refused form.
      if (err && !req.session?.userId && isConsoleForm(req.path)) return next(new UnauthorizedException('Please sign in to the console'));
      if (err && !req.session?.userId && isAccountForm(req.path)) return next(new UnauthorizedException('Please sign in'));
      next(err);
    });
  };
}

function isConsoleForm(path: string): boolean {
  return path.startsWith('/console/') && path !== '/console/login';
}

// The signed-in person's own forms; confirming an email change from its link needs no session.
function isAccountForm(path: string): boolean {
  return path.startsWith('/account/') && path !== '/account/email/confirm';
}

/** The token to put in a form's hidden `_csrf` field. */
export function csrfToken(req: Request): string {
  return generateToken(req);
}
