import { BadRequestException } from '@nestjs/common';
import { OidcSessions } from '@portico/oidc';
import type { Request, Response } from 'express';
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

// Session starts live in @portico/auth, shared by every login method (password, authenticator, SAML).
export { EXTERNAL_AMR, finishPasswordStep, refuse, startPending, startSession, withAuthenticatorAmr } from '@portico/auth';

/**
 * Ends a person's sign-in everywhere: the applications' single sign-on (they are told through
 * back-channel logout), then the Portico session and its cookie.
 */
export async function signOut(req: Request, res: Response, oidcSessions: OidcSessions): Promise<void> {
  await oidcSessions.endBrowserSession(req, res);
  await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
  res.clearCookie('portico.sid');
}
