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

/** A first factor Portico checked a password for (its own, LDAP, an external provider): RFC 8176 `pwd`. */
export const PASSWORD_AMR = ['pwd'];
/** A sign-in another system vouched for (a SAML assertion, a portal's autologin link). */
export const EXTERNAL_AMR = ['ext'];

/** The methods after the authenticator code followed a first factor. */
export function withAuthenticatorAmr(first: string[] | undefined): string[] {
  return [...new Set([...(first ?? PASSWORD_AMR), 'otp', 'mfa'])];
}

/**
 * Starts a signed-in session under a new id, so an id planted before sign-in is worthless after it.
 * `amr` records how the person signed in (every method ends here, so every session says it).
 */
export async function startSession(req: Request, userId: string, amr: string[] = PASSWORD_AMR): Promise<void> {
  await regenerate(req);
  req.session.userId = userId;
  req.session.authenticatedAt = Date.now();
  req.session.amr = amr;
  req.session.device = { userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512), ip: req.ip ?? null };
}

/** The first factor was right; the authenticator code comes next, in a fresh session that is not signed in yet. */
export async function startPending(req: Request, userId: string, next: string, amr: string[] = PASSWORD_AMR): Promise<void> {
  await regenerate(req);
  req.session.pending = { userId, at: Date.now(), next, amr };
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
  amr: string[] = PASSWORD_AMR,
): Promise<void> {
  if (outcome.kind === 'refused') {
    refuse(res, outcome);
    return showError(outcome.message);
  }
  if (outcome.kind === 'second-factor') {
    await startPending(req, outcome.account.id, next, amr);
    return res.redirect(303, '/login/authenticator');
  }
  await startSession(req, outcome.account.id, amr);
  if (outcome.enrolAuthenticator) {
    req.session.authenticatorRequired = true;
    return res.redirect(303, '/account/authenticator');
  }
  res.redirect(303, next);
}
