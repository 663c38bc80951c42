import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as Portico uses it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
// Only one step of drift either way: a wider window weakens the code.
export const TOTP_WINDOW = 1;

export interface TotpMatch {
  /** The time step the code belongs to; the caller stores it so the same step is never accepted twice. */
  step: number;
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(base32Secret: string, label = 'Portico', issuer = 'Portico'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD, secret: Secret.fromBase32(base32Secret) });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(base32Secret: string, account: string, issuer: string): string {
  return totp(base32Secret, account, issuer).toString();
}

export function totpCode(base32Secret: string, at = Date.now()): string {
  return totp(base32Secret).generate({ timestamp: at });
}

/**
 * Checks a code against the current step ±1. Codes whose step is not after `lastAcceptedStep` are
 * refused, so an accepted code (or an older one) can never be replayed.
 */
export function verifyTotp(base32Secret: string, code: string, lastAcceptedStep: number | null, at = Date.now()): TotpMatch | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(base32Secret).validate({ token, timestamp: at, window: TOTP_WINDOW });
  if (delta === null) return null;
  const step = Math.floor(at / 1000 / TOTP_PERIOD) + delta;
  if (lastAcceptedStep !== null && step <= lastAcceptedStep) return null;
  return { step };
}
