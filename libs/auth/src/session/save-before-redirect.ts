import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * express-session saves a changed session while the response is already going out: it sends the
 * headers (and all but the last byte of the body) first and finishes after the store answers. A
 * browser follows a redirect as soon as it has the headers, so the next page could be asked for
 * before the store holds what the redirect was about: a sign-in (the page bounces back to the
 * login) or a flash with a secret shown once (lost). This middleware, placed right after the
 * session middleware, writes a changed session to the store before any redirect is sent.
 * (express-session may write it once more as the response ends: after a sign-in, which regenerates
 * the id, it cannot tell the session was saved.)
 */
export function saveSessionBeforeRedirect(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.session) return next();
    const before = contentOf(req);
    const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
    res.redirect = ((...args: unknown[]) => {
      // Destroyed (logout) or unchanged: nothing to wait for.
      if (!req.session || contentOf(req) === before) return redirect(...args);
      req.session.save((err?: unknown) => {
        if (err) return next(err);
        redirect(...args);
      });
    }) as Response['redirect'];
    next();
  };
}

/** What express-session itself compares to decide whether to save: everything but the cookie, and the id. */
function contentOf(req: Request): string {
  return `${req.sessionID}\n${JSON.stringify(req.session, (key, value: unknown) => (key === 'cookie' ? undefined : value))}`;
}
