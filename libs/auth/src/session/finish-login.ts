import type { Request, Response } from 'express';
import type { LoginOutcome } from '../login/login-method';
import './session-data';

// How every sign-in ends (password, authenticator, SAML): one place, so no login method keeps its own session code.

// A session started inside a tenant portal's frame keeps the cookie's SameSite (see the web layer's TenantFraming).
function regenerate(req: Request): Promise<void> {
  const sameSite = req.session.cookie.sameSite;
  return new Promise<void>((resolve, reject) =>
    req.session.regenerate((err) => {
      if (err) return reject(err);
      req.session.cookie.sameSite = sameSite;
      resolve();
    }),
  );
}

/** Starts a signed-in session under a new id, so an id planted before sign-in is worthless after it. */
export async function startSession(req: Request, userId: string): Promise<void> {
  await regenerate(req);
  req.session.userId = userId;
  req.session.authenticatedAt = Date.now();
}

/** The first factor was right; the authenticator code comes next, in a fresh session that is not signed in yet. */
export async function startPending(req: Request, userId: string, next: string): Promise<void> {
  await regenerate(req);
  req.session.pending = { userId, at: Date.now(), next };
}

export function refuse(res: Response, outcome: Extract<LoginOutcome, { kind: 'refused' }>): void {
  res.status(outcome.status);
  if (outcome.retryAfterSeconds) res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
}

/** After the first factor, for every login page: refuse, ask for the code, or sign in. */
export async function finishPasswordStep(
  req: Request,
  res: Response,
  outcome: LoginOutcome,
  next: string,
  showError: (message: string) => void,
): Promise<void> {
  if (outcome.kind === 'refused') {
    refuse(res, outcome);
    return showError(outcome.message);
  }
  if (outcome.kind === 'second-factor') {
    await startPending(req, outcome.account.id, next);
    return res.redirect(303, '/login/authenticator');
  }
  await startSession(req, outcome.account.id);
  res.redirect(303, next);
}
