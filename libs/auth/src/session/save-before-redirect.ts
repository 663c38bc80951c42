import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * express-session saves a changed session while the response is already going out: it sends the
 * headers (and all but the last byte of the body) first and finishes after the store answers. A
 * browser follows a redirect as soon as it has the headers, so the next page could be asked for
 * before the store holds what the redirect was about: a sign-in (the page bounces back to the
 * login) or a flash with a secret shown once (lost). This middleware, placed right after the
 * session middleware, writes a changed session to the store before any redirect is sent.
 *
 * express-session saves again as the response ends whenever the id changed (a sign-in regenerates
 * it) or it cannot tell the session was saved: the session written here skips that second write
 * unless something changed in between.
 */
export function saveSessionBeforeRedirect(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.session) return next();
    const before = contentOf(req);
    const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
    res.redirect = ((...args: unknown[]) => {
      // Destroyed (logout) or unchanged: nothing to wait for.
      if (!req.session || contentOf(req) === before) return redirect(...args);
      const session = req.session;
      const saved = contentOf(req);
      session.save((err?: unknown) => {
        if (err) return next(err);
        skipWriteWhileUnchanged(req, session, saved);
        redirect(...args);
      });
    }) as Response['redirect'];
    next();
  };
}

/** The session's next save writes only if its content changed since `saved` (what was just written). */
function skipWriteWhileUnchanged(req: Request, session: Request['session'], saved: string): void {
  const write = session.save.bind(session);
  // Not enumerable, so it is never part of the stored data or of express-session's comparison.
  Object.defineProperty(session, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: (cb?: (err?: unknown) => void) => {
      if (req.session === session && contentOf(req) === saved) {
        if (cb) process.nextTick(cb);
        return session;
      }
      return write(cb);
    },
  });
}

/** What express-session itself compares to decide whether to save: everything but the cookie, and the id. */
function contentOf(req: Request): string {
  return `${req.sessionID}\n${JSON.stringify(req.session, (key, value: unknown) => (key === 'cookie' ? undefined : value))}`;
}
