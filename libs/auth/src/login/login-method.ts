import type { TenantRef } from '@portico/tenants';
import type { LoginAccount } from '@portico/users';

/** One way of checking who someone is (password, LDAP, external provider…), behind one interface. */
export interface FirstFactor {
  /** Which settings switch governs it. */
  readonly method: 'password' | 'ldap' | 'external';
  /** The account when the credentials are right, otherwise null. Must take comparable time either way. */
  check(tenant: TenantRef | null, login: string, password: string): Promise<LoginAccount | null>;
}

export type LoginOutcome =
  | { kind: 'signed-in'; account: LoginAccount }
  | { kind: 'second-factor'; account: LoginAccount }
  | { kind: 'refused'; status: 401 | 403 | 429; message: string; retryAfterSeconds?: number };

export const WRONG_CREDENTIALS = 'The email, username or password is not right.';
export const lockedMessage = (seconds: number) => `Too many failed attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
