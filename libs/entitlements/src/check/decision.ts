import type { Entitlement } from './entitlement-document';

/**
 * Why a check was answered as it was. The first six are the product's; the others say why a check
 * never reached a key: a malformed query, a caller outside the server's allow-list, a delegated
 * source that failed.
 */
export const DECISION_CODES = [
  'VALID',
  'NOT_FOUND',
  'SUSPENDED',
  'EXPIRED',
  'SERVER_MISMATCH',
  'CLASS_MISMATCH',
  'BAD_REQUEST',
  'CALLER_NOT_ALLOWED',
  'SOURCE_ERROR',
] as const;
export type DecisionCode = (typeof DECISION_CODES)[number];

export interface Decision {
  code: DecisionCode;
  via: 'local' | 'source';
  /** Set exactly when code is VALID. */
  entitlement?: Entitlement;
  /** A short note for the log (never a secret), e.g. why a source failed. */
  detail?: string;
}
