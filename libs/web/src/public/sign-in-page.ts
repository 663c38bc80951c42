import type { Request, Response } from 'express';

// Not a secret: which tenant's sign-in page this browser's person uses. Kept past the session.
const COOKIE = 'portico.signin';
// A tenant key's shape; anything else in the cookie is ignored.
const REMEMBERED = /(?:^|;\s*)portico\.signin=([a-z0-9][a-z0-9-]{1,62})(?:;|$)/;
const YEAR_MS = 365 * 24 * 3600 * 1000;

function rememberedKey(req: Request): string | null {
  return REMEMBERED.exec(req.headers.cookie ?? '')?.[1] ?? null;
}

/**
 * The sign-in page for someone whose session has ended on an account page: their tenant's, when
 * this browser's last signed-in user had one (a tenant's users know only that page), else null.
 */
export function signInPageOf(req: Request): string | null {
  const key = rememberedKey(req);
  return key ? `/t/${key}/login` : null;
}

/** Remembers the signed-in user's tenant (null: a direct customer, Portico's own page) on this browser. */
export function rememberSignInPage(req: Request, res: Response, tenantKey: string | null, secure: boolean): void {
  if (rememberedKey(req) === tenantKey) return;
  if (!tenantKey) {
    res.clearCookie(COOKIE, { path: '/' });
    return;
  }
  // SameSite=None over HTTPS so a portal's frame sends it too, as it does the session cookie.
  res.cookie(COOKIE, tenantKey, { httpOnly: true, path: '/', maxAge: YEAR_MS, secure, sameSite: secure ? 'none' : 'lax' });
}
