import type { TenantRef } from '@portico/tenants';
import type { LoginAccount } from '@portico/users';
import type { MethodFlags } from '../entities/tenant-auth-settings.entity';

/** What a first factor found: the account, or a refusal with the words to show and what to audit. */
export type FirstFactorResult =
  | { ok: true; account: LoginAccount; details?: Record<string, unknown> }
  | {
      ok: false;
      /** The account the login named, when known: for the audit trail only. */
      account?: LoginAccount | null;
      /** Shown to the person instead of the generic "not right" (an external provider's own reason). */
      reason?: string;
      /**
       * No verdict on the credentials at all (the provider could not be reached): the attempt is
       * given back to the brute-force throttle, so an outage does not lock people out.
       */
      unavailable?: boolean;
      details?: Record<string, unknown>;
    };

/** One way of checking who someone is (password, LDAP, external provider…), behind one interface. */
export interface FirstFactor {
  /** Which settings switch governs it. */
  readonly method: 'password' | 'ldap' | 'external';
  /** The account when the credentials are right. Must take comparable time either way where it can. */
  check(tenant: TenantRef | null, login: string, password: string): Promise<FirstFactorResult>;
}

/** Who is signing in where: what a router looks at to choose the first factor. */
export interface LoginAttempt {
  tenant: TenantRef | null;
  login: string;
  /** The site (organization siteId) the login page was opened for, if any. */
  siteId: number | null;
  /** The sign-in methods switched on for this tenant (read once per attempt). */
  methods: MethodFlags;
  /** The Portico account the login names, if any (looked up once per attempt). */
  account: LoginAccount | null;
}

/**
 * Takes some logins away from Portico's own password check (an organization that delegates its
 * sign-ins to an external provider). Modules register one with FirstFactorRoutes; auth itself
 * knows none of them, so it depends on no such module.
 */
export interface FirstFactorRouter {
  /** The factor that must check this attempt instead of the password, or null to leave it to Portico. */
  route(attempt: LoginAttempt): Promise<FirstFactor | null>;
}

export type LoginOutcome =
  /** `enrolAuthenticator`: a platform admin who must set up an authenticator first (requireAuthenticatorForAdmins). */
  | { kind: 'signed-in'; account: LoginAccount; enrolAuthenticator?: boolean }
  | { kind: 'second-factor'; account: LoginAccount }
  | {
      kind: 'refused';
      status: 401 | 403 | 410 | 429 | 503;
      message: string;
      retryAfterSeconds?: number;
      /** The password was right, but the account's address is still to be confirmed: the page offers to resend the mail. */
      unverified?: boolean;
    };

export const WRONG_CREDENTIALS = 'The email, username or password is not right.';
export const lockedMessage = (seconds: number) => `Too many failed attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
