import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LoginThrottleService, PasswordPolicyService, ThrottlePolicy, UserSessionsService } from '@portico/auth';
import {
  AppConfig,
  AuditService,
  CryptoService,
  NotFoundError,
  RequestContext,
  TooManyRequestsError,
  TransactionService,
} from '@portico/core';
import { MailService } from '@portico/mail';
import { TenantRef, TenantsService } from '@portico/tenants';
import { LoginAccount, UserCredentialsService, UsersService } from '@portico/users';
import { accountPageUrl, mailTenant } from '../mail-links';
import { AccountTokensService, TokenFailure } from '../tokens/account-tokens.service';

export type ResetResult =
  | { ok: true; account: { id: string; email: string; tenantId: string | null } }
  | { ok: false; reason: TokenFailure }
  | { ok: false; reason: 'password'; problem: string };

/** Which mail a reset request sent: the link, or (an account without a Portico password) how it signs in. */
export type ResetMail = 'password-reset' | 'password-reset-sso';

// Reset mails: a few per address, more per client address; every request counts, known address or not.
const FORGOT_POLICY: ThrottlePolicy = { maxFailures: 3, baseWaitSeconds: 300, maxWaitSeconds: 3600 };

// How an account without a Portico password signs in, in the words of its mail.
const HOW: Record<string, string> = {
  saml: 'with single sign-on (SAML)',
  oidc: 'with single sign-on (OpenID Connect)',
  ldap: 'with your directory (LDAP) account',
  'external-login': "through your organization's login provider",
  autologin: 'from your portal',
  portal: 'from your portal',
};

/**
 * Forgotten passwords: the mailed link (30 minutes, single use, bound to the tenant whose page
 * asked), the new password, and the end of every sign-in the old one allowed.
 */
@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('PasswordReset');
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly tx: TransactionService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly credentials: UserCredentialsService,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly policy: PasswordPolicyService,
    private readonly sessions: UserSessionsService,
    private readonly throttle: LoginThrottleService,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  /**
   * "I forgot my password" for `login` (an email or username) on the pages of `tenant`. Answers
   * before it looks anything up, so a known and an unknown address take the same time and get the
   * same answer; the lookup and the mail follow on their own. 429 past the limits.
   */
  async request(login: string, tenant: TenantRef | null, ip: string | null): Promise<void> {
    const key = `${tenant?.id ?? 'direct'}:${login.trim().toLowerCase()}`;
    const slot = await this.throttle.reserve('password-reset-mail', key, ip, FORGOT_POLICY);
    if (!slot.allowed)
      throw new TooManyRequestsError(
        `Too many reset mails were asked for. Try again in ${slot.retryAfterSeconds} seconds.`,
        slot.retryAfterSeconds,
      );
    await this.throttle.failed('password-reset-mail', key, ip, FORGOT_POLICY);
    const work = this.lookUpAndMail(login, tenant, ip)
      .catch((err: unknown) =>
        this.logger.error(`A password reset mail could not be written: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /**
   * POST /api/v1/users/{id}/password-reset: the same mail, for a user the caller may see. Says which
   * mail went: the link, or (no Portico password) how they sign in instead.
   */
  async requestFor(ctx: RequestContext, userId: string): Promise<ResetMail | null> {
    const user = await this.users.find(ctx, userId);
    if (!user) throw new NotFoundError('User');
    const account = await this.credentials.findById(user.id);
    const tenant = user.tenantId ? await this.tenants.findById(user.tenantId) : null;
    return account ? this.mailTo(ctx, account, tenant) : null;
  }

  /** Whether a link works on these pages, without using it (the form is shown only for one that does). */
  async check(raw: string, tenant: TenantRef | null): Promise<{ ok: true } | { ok: false; reason: TokenFailure }> {
    const found = await this.tokens.peek('password-reset', raw, tenant?.id ?? null);
    return found.ok ? { ok: true } : found;
  }

  /** Sets the new password through the link: it is used up, and every session and application sign-in of the user ends. */
  async reset(raw: string, tenant: TenantRef | null, password: string, ip: string | null): Promise<ResetResult> {
    const peeked = await this.tokens.peek('password-reset', raw, tenant?.id ?? null);
    if (!peeked.ok) return peeked;
    const problem = await this.policy.check(password, tenant?.id ?? null);
    if (problem) return { ok: false, reason: 'password', problem };
    const hash = await this.crypto.hashPassword(password);
    const result = await this.tx.run(async (): Promise<ResetResult> => {
      const used = await this.tokens.consume('password-reset', raw, tenant?.id ?? null);
      if (!used.ok) return used;
      const account = used.token.userId ? await this.credentials.findById(used.token.userId) : null;
      if (!account || account.status !== 'active' || account.email.toLowerCase() !== used.token.email.toLowerCase())
        return { ok: false, reason: 'unknown' };
      await this.users.resetPassword(RequestContext.system('password-reset', account.tenantId, ip), account.id, hash);
      await this.tokens.revokeAll('password-reset', account.id);
      return { ok: true, account: { id: account.id, email: account.email, tenantId: account.tenantId } };
    });
    // After the commit: a session read in between still finds the old password gone.
    if (result.ok) await this.sessions.endAll(result.account.id);
    return result;
  }

  async beforeApplicationShutdown(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async lookUpAndMail(login: string, tenant: TenantRef | null, ip: string | null): Promise<void> {
    const account = await this.credentials.findByLogin(tenant?.id ?? null, login);
    if (!account || account.status !== 'active') return;
    await this.mailTo(RequestContext.system('password-reset', account.tenantId, ip), account, tenant);
  }

  private async mailTo(ctx: RequestContext, account: LoginAccount, tenant: TenantRef | null): Promise<ResetMail> {
    const vars = { firstName: account.firstName || 'there', email: account.email };
    const mail: ResetMail = account.passwordHash ? 'password-reset' : 'password-reset-sso';
    await this.tx.run(async () => {
      if (account.passwordHash) {
        await this.tokens.revokeAll('password-reset', account.id);
        const raw = await this.tokens.issue({
          purpose: 'password-reset',
          userId: account.id,
          tenantId: account.tenantId,
          email: account.email,
        });
        await this.mail.send({
          to: account.email,
          template: 'password-reset',
          tenant: mailTenant(tenant),
          vars: { ...vars, link: accountPageUrl(this.config.publicUrl, tenant, '/password/reset', raw) },
        });
      } else {
        await this.mail.send({
          to: account.email,
          template: 'password-reset-sso',
          tenant: mailTenant(tenant),
          vars: {
            ...vars,
            how: HOW[account.createdVia] ?? 'another way than a password',
            via: tenant ? tenant.name : 'Portico',
            loginLink: accountPageUrl(this.config.publicUrl, tenant, '/login'),
          },
        });
      }
      await this.audit.record(ctx, {
        action: 'user.password_reset_requested',
        targetType: 'user',
        targetId: account.id,
        tenant: tenant ? { id: tenant.id, key: tenant.key } : null,
        details: { mail },
      });
    });
    return mail;
  }
}
