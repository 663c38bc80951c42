import { BadRequestException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { LoginOutcome } from '@portico/auth';
import { csrfToken } from '../csrf';

/** Locals for a page in the public layout (login, signup, account). */
export function publicPage(req: Request, title: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  const flash = req.session.flash;
  delete req.session.flash;
  return { layout: 'layouts/public', title, csrf: csrfToken(req), flash, ...data };
}

/** A form field that must be a string of bounded length; anything else is a clear 400. */
export function field(body: unknown, name: string, max: number, opts: { trim?: boolean; required?: boolean } = {}): string {
  const raw = (body as Record<string, unknown> | undefined)?.[name];
  if (raw === undefined || raw === null || raw === '') {
    if (opts.required === false) return '';
    throw new BadRequestException(`${name} is required`);
  }
  if (typeof raw !== 'string') throw new BadRequestException(`${name} must be text`);
  if (raw.length > max) throw new BadRequestException(`${name} must be at most ${max} characters`);
  return opts.trim === false ? raw : raw.trim();
}

// A session started inside a tenant portal's frame keeps the cookie's SameSite (see TenantFraming).
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

/** The password was right; the authenticator code comes next, in a fresh session that is not signed in yet. */
export async function startPending(req: Request, userId: string, next: string): Promise<void> {
  await regenerate(req);
  req.session.pending = { userId, at: Date.now(), next };
}

export function refuse(res: Response, outcome: Extract<LoginOutcome, { kind: 'refused' }>): void {
  res.status(outcome.status);
  if (outcome.retryAfterSeconds) res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
}

/** After the password step, for the public and the console login alike: refuse, ask for the code, or sign in. */
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
