import { Injectable } from '@nestjs/common';
import { AuditService, TransactionService } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { LoginAccount, UserCredentialsService } from '@portico/users';
import { AuthenticatorService } from '../authenticator/authenticator.service';
import { RecoveryCodesService } from '../authenticator/recovery-codes.service';
import { AccountNoticesService } from '../notifications/account-notices.service';
import { AuthSettingsService } from '../settings/auth-settings.service';
import { lockoutPolicy, LoginThrottleService } from '../throttle/login-throttle.service';
import { FirstFactorRoutes } from './first-factor-routes';
import { FirstFactor, lockedMessage, LoginOutcome, WRONG_CREDENTIALS } from './login-method';
import { PasswordLogin } from './password-login';

const METHOD_OFF: Record<FirstFactor['method'], { reason: string; message: string }> = {
  password: { reason: 'password-disabled', message: 'Signing in with a password is turned off. Ask your administrator how to sign in.' },
  ldap: { reason: 'ldap-disabled', message: 'Signing in through the directory is turned off. Ask your administrator how to sign in.' },
  external: {
    reason: 'external-disabled',
    message: 'Signing in through your organization’s login provider is turned off. Ask your administrator how to sign in.',
  },
};

const UNVERIFIED =
  'Confirm your email address first: open the link in the mail we sent when you signed up. No mail? Have it sent again below.';

const WRONG_CODE = 'That code is not right, or it was already used. Enter the current code from your authenticator app.';
const WRONG_RECOVERY_CODE = 'That recovery code is not right, or it was already used. Each code works once.';

/**
 * Signing in, for end users and platform admins alike: the first factor behind the brute-force
 * throttle, then the authenticator when the user has one. Every outcome is audited.
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly settings: AuthSettingsService,
    private readonly throttle: LoginThrottleService,
    private readonly password: PasswordLogin,
    private readonly routes: FirstFactorRoutes,
    private readonly authenticators: AuthenticatorService,
    private readonly credentials: UserCredentialsService,
    private readonly tenants: TenantsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly notifications: AccountNoticesService,
  ) {}

  /**
   * First step. `tenant` is the tenant whose login page this is (null: direct customers and
   * platform admins). `adminOnly` is the console: only platform admins get through, always with
   * their Portico password. `siteId` is the site the page was opened for, if any: a router (an
   * organization delegating to an external provider) may take the check over.
   */
  async withPassword(
    tenant: TenantRef | null,
    login: string,
    secret: string,
    ip: string | null,
    opts: { adminOnly?: boolean; siteId?: number | null } = {},
  ): Promise<LoginOutcome> {
    // A NUL is part of no name, and PostgreSQL refuses it in text: such a login is wrong, and looked up nowhere.
    if (login.includes('\0')) {
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.failed', null, {
        login: login.trim().slice(0, 320),
        reason: 'nul-in-login',
      });
      return { kind: 'refused', status: 401, message: WRONG_CREDENTIALS };
    }
    const settings = await this.settings.effective(tenant?.id ?? null);
    const named = await this.credentials.findByLogin(tenant?.id ?? null, login);
    const ownPassword: FirstFactor = { method: 'password', check: (_t, _l, secret) => this.password.checkAccount(named, secret) };
    const factor: FirstFactor = opts.adminOnly
      ? ownPassword
      : ((await this.routes.route({ tenant, login, siteId: opts.siteId ?? null, methods: settings.methods, account: named })) ??
        ownPassword);
    // A method that is off checks nothing: answering "turned off" only to a right password would
    // tell a guesser it was right. Platform admins sign in through the console, which stays open.
    if (!opts.adminOnly && !settings.methods[factor.method]) {
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.refused', null, {
        reason: METHOD_OFF[factor.method].reason,
        login: login.trim().slice(0, 320),
      });
      return { kind: 'refused', status: 403, message: METHOD_OFF[factor.method].message };
    }
    const policy = lockoutPolicy(settings.lockout, 'password');
    const accountKey = this.throttle.accountKey(tenant?.id ?? null, login, named?.id ?? null);
    const reservation = await this.throttle.reserve('password', accountKey, ip, policy);
    if (!reservation.allowed) {
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.locked', null, { login: login.trim().slice(0, 320) });
      return {
        kind: 'refused',
        status: 429,
        message: lockedMessage(reservation.retryAfterSeconds),
        retryAfterSeconds: reservation.retryAfterSeconds,
      };
    }
    const result = await factor.check(tenant, login, secret);
    const account = result.ok ? result.account : null;
    const allowedHere = account && (opts.adminOnly ? account.isPlatformAdmin : true);
    const method = factor.method === 'password' ? {} : { method: factor.method };
    if (!result.ok && result.unavailable) {
      await this.throttle.released('password', accountKey, ip);
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.failed', result.account?.id ?? null, {
        login: login.trim().slice(0, 320),
        ...method,
        ...(result.details ?? {}),
      });
      return { kind: 'refused', status: 503, message: result.reason ?? 'Signing in is not possible right now. Try again in a moment.' };
    }
    if (!account || !allowedHere) {
      const wait = await this.throttle.failed('password', accountKey, ip, policy);
      const known = account ?? (result.ok ? null : result.account) ?? null;
      await this.audit.recordSignIn('login', tenant, ip, wait ? 'auth.login.locked' : 'auth.login.failed', known?.id ?? null, {
        login: login.trim().slice(0, 320),
        ...method,
        ...(result.details ?? {}),
        ...(wait ? { waitSeconds: wait } : {}),
      });
      if (wait) return { kind: 'refused', status: 429, message: lockedMessage(wait), retryAfterSeconds: wait };
      return { kind: 'refused', status: 401, message: (!result.ok && result.reason) || WRONG_CREDENTIALS };
    }
    // The throttle's reset and the audit event in one transaction (fewer round trips on every sign-in).
    return this.tx.run(async (): Promise<LoginOutcome> => {
      await this.throttle.succeeded('password', accountKey, ip);
      if (account.status !== 'active') {
        await this.audit.recordSignIn('login', tenant, ip, 'auth.login.refused', account.id, { reason: 'disabled', ...method });
        return { kind: 'refused', status: 403, message: 'This account is disabled. Ask your administrator to enable it.' };
      }
      if (!account.emailVerified && !account.isPlatformAdmin && settings.emailVerification === 'required') {
        await this.audit.recordSignIn('login', tenant, ip, 'auth.login.refused', account.id, { reason: 'email-unverified', ...method });
        return { kind: 'refused', status: 403, message: UNVERIFIED, unverified: true };
      }
      if (account.authenticatorEnabled && (await this.authenticators.hasAuthenticator(account.id)))
        return { kind: 'second-factor', account };
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.succeeded', account.id, { ...method, ...(result.details ?? {}) });
      // Whichever page an admin signs in on, the console waits for an authenticator when one is required.
      const enrolAuthenticator = account.isPlatformAdmin && settings.requireAuthenticatorForAdmins;
      return { kind: 'signed-in', account, ...(enrolAuthenticator ? { enrolAuthenticator } : {}) };
    });
  }

  /** The account a login (email or username) names for a tenant (null: direct users), or null. */
  findAccount(tenant: TenantRef | null, login: string): Promise<LoginAccount | null> {
    return this.credentials.findByLogin(tenant?.id ?? null, login);
  }

  /**
   * Portico's own password check for an account found with findAccount (null: nobody), without
   * throttle or audit: for modules that answer for Portico elsewhere and keep their own (the
   * external-login endpoint). Unknown users cost the same time as known ones.
   */
  async verifyPassword(account: LoginAccount | null, secret: string): Promise<LoginAccount | null> {
    const result = await this.password.checkAccount(account, secret);
    return result.ok ? result.account : null;
  }

  /** Second step, for an account that passed the first one in this same session. */
  async withAuthenticator(userId: string, code: string, ip: string | null): Promise<LoginOutcome> {
    const outcome = await this.checkAuthenticatorCode(userId, code, ip);
    if (outcome.kind === 'signed-in') {
      const tenant = outcome.account.tenantId ? await this.tenants.findById(outcome.account.tenantId) : null;
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.succeeded', userId, { authenticator: true });
    }
    return outcome;
  }

  /**
   * Second step with a recovery code instead of the app's code: single use, counted by the same
   * throttle, audited, and the owner is told by mail.
   */
  async withRecoveryCode(userId: string, code: string, ip: string | null): Promise<LoginOutcome> {
    const outcome = await this.checkSecondFactor(userId, ip, (id) => this.recoveryCodes.use(id, code), WRONG_RECOVERY_CODE);
    if (outcome.kind !== 'signed-in') return outcome;
    const account = outcome.account;
    const tenant = account.tenantId ? await this.tenants.findById(account.tenantId) : null;
    const remaining = await this.recoveryCodes.remaining(account.id);
    await this.tx.run(async () => {
      await this.audit.recordSignIn('login', tenant, ip, 'auth.recovery_code.used', account.id, { remaining });
      await this.audit.recordSignIn('login', tenant, ip, 'auth.login.succeeded', account.id, { authenticator: true, recoveryCode: true });
      await this.notifications.recoveryCodeUsed(account, tenant, remaining);
    });
    return outcome;
  }

  /** A current authenticator code for the user, behind the authenticator throttle (also used to disable it). */
  async checkAuthenticatorCode(userId: string, code: string, ip: string | null): Promise<LoginOutcome> {
    return this.checkSecondFactor(userId, ip, (id) => this.authenticators.verify(id, code), WRONG_CODE);
  }

  private async checkSecondFactor(
    userId: string,
    ip: string | null,
    verify: (userId: string) => Promise<boolean>,
    wrong: string,
  ): Promise<LoginOutcome> {
    const account = await this.credentials.findById(userId);
    if (!account || account.status !== 'active') return { kind: 'refused', status: 401, message: 'Please sign in again.' };
    const settings = await this.settings.effective(account.tenantId);
    const policy = lockoutPolicy(settings.lockout, 'authenticator');
    const tenant = account.tenantId ? await this.tenants.findById(account.tenantId) : null;
    const reservation = await this.throttle.reserve('authenticator', account.id, ip, policy);
    if (!reservation.allowed) {
      await this.audit.recordSignIn('login', tenant, ip, 'auth.authenticator.locked', account.id, {});
      return {
        kind: 'refused',
        status: 429,
        message: lockedMessage(reservation.retryAfterSeconds),
        retryAfterSeconds: reservation.retryAfterSeconds,
      };
    }
    if (!(await verify(account.id))) {
      const wait = await this.throttle.failed('authenticator', account.id, ip, policy);
      await this.audit.recordSignIn('login', tenant, ip, wait ? 'auth.authenticator.locked' : 'auth.authenticator.failed', account.id, {});
      return wait
        ? { kind: 'refused', status: 429, message: lockedMessage(wait), retryAfterSeconds: wait }
        : { kind: 'refused', status: 401, message: wrong };
    }
    await this.throttle.succeeded('authenticator', account.id, ip);
    return { kind: 'signed-in', account };
  }

  /** The account behind a session, if it may still be signed in. */
  async sessionAccount(userId: string | undefined): Promise<LoginAccount | null> {
    if (!userId) return null;
    const account = await this.credentials.findById(userId);
    return account && account.status === 'active' ? account : null;
  }
}
