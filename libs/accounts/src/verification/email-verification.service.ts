import { Injectable } from '@nestjs/common';
import { AuthSettingsService, LoginThrottleService, ThrottlePolicy } from '@portico/auth';
import {
  AppConfig,
  AuditService,
  ConflictError,
  NotFoundError,
  RequestContext,
  TooManyRequestsError,
  TransactionService,
} from '@portico/core';
import { MailService } from '@portico/mail';
import { TenantRef, TenantsService } from '@portico/tenants';
import { UserCredentialsService, UsersService } from '@portico/users';
import { accountPageUrl, mailTenant } from '../mail-links';
import { AccountTokensService, TokenFailure } from '../tokens/account-tokens.service';

/** Who a verification mail is for. */
export interface VerifiableAccount {
  id: string;
  tenantId: string | null;
  email: string;
  firstName: string;
}

export type VerifyResult = { ok: true; email: string } | { ok: false; reason: TokenFailure };

// Resending: a few mails per address, and more per client address (several people behind one NAT).
const RESEND_POLICY: ThrottlePolicy = { maxFailures: 3, baseWaitSeconds: 300, maxWaitSeconds: 3600 };

/**
 * Email verification (emailVerification: required): the mail with its link, following the link,
 * resending it, and telling an address's owner that someone tried to sign up with it.
 */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly tx: TransactionService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly credentials: UserCredentialsService,
    private readonly settings: AuthSettingsService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
  ) {}

  /** Whether new accounts of a tenant (null: direct customers) must verify their address before signing in. */
  async required(tenantId: string | null): Promise<boolean> {
    return (await this.settings.effective(tenantId)).emailVerification === 'required';
  }

  /** Issues a new link (earlier ones stop working) and mails it. Joins the caller's transaction. */
  async send(account: VerifiableAccount, tenant: TenantRef | null): Promise<void> {
    await this.tx.run(async () => {
      await this.tokens.revokeAll('email-verification', account.id);
      const raw = await this.tokens.issue({
        purpose: 'email-verification',
        userId: account.id,
        tenantId: account.tenantId,
        email: account.email,
      });
      await this.mail.send({
        to: account.email,
        template: 'verify-email',
        tenant: mailTenant(tenant),
        vars: {
          firstName: account.firstName || 'there',
          email: account.email,
          link: accountPageUrl(this.config.publicUrl, tenant, '/email/verify', raw),
        },
      });
    });
  }

  /** An administrator sends a user the link again (a user the caller may see; 409 once the address is verified). */
  async resendFor(ctx: RequestContext, userId: string): Promise<void> {
    const user = await this.users.find(ctx, userId);
    if (!user) throw new NotFoundError('User');
    if (user.emailVerified) throw new ConflictError(`${user.email} is verified already`);
    const tenant = user.tenantId ? await this.tenants.findById(user.tenantId) : null;
    await this.tx.run(async () => {
      await this.send(user, tenant);
      await this.audit.record(ctx, {
        action: 'user.email_verification_sent',
        targetType: 'user',
        targetId: user.id,
        tenant: tenant ? { id: tenant.id, key: tenant.key } : null,
        details: { email: user.email },
      });
    });
  }

  /** Tells the owner of an address that someone tried to create a second account with it. Joins the caller's transaction. */
  async accountExists(account: VerifiableAccount, tenant: TenantRef | null): Promise<void> {
    await this.mail.send({
      to: account.email,
      template: 'account-exists',
      tenant: mailTenant(tenant),
      vars: {
        email: account.email,
        loginLink: accountPageUrl(this.config.publicUrl, tenant, '/login'),
        forgotLink: accountPageUrl(this.config.publicUrl, tenant, '/password/forgot'),
      },
    });
  }

  /** Follows a link on the pages of `tenant` (null: the global pages): single use, bound to its tenant. */
  async verify(raw: string, tenant: TenantRef | null, ip: string | null): Promise<VerifyResult> {
    return this.tx.run(async () => {
      const used = await this.tokens.consume('email-verification', raw, tenant?.id ?? null);
      if (!used.ok) return used;
      const account = used.token.userId ? await this.credentials.findById(used.token.userId) : null;
      // The account's address changed since the mail: the link vouches for the old one only.
      if (!account || account.email.toLowerCase() !== used.token.email.toLowerCase()) return { ok: false, reason: 'unknown' };
      await this.credentials.markEmailVerified(account.id);
      await this.audit.record(RequestContext.system('email-verification', account.tenantId, ip), {
        action: 'user.email_verified',
        targetType: 'user',
        targetId: account.id,
        tenant: tenant ? { id: tenant.id, key: tenant.key } : null,
        details: { email: account.email },
      });
      return { ok: true, email: account.email };
    });
  }

  /**
   * Sends the link again to an unverified account named by `login` (email or username); says
   * nothing about whether there is one. Limited per address and per client address (429).
   */
  async resend(login: string, tenant: TenantRef | null, ip: string | null): Promise<void> {
    const key = `${tenant?.id ?? 'direct'}:${login.trim().toLowerCase()}`;
    const slot = await this.throttle.reserve('verification-mail', key, ip, RESEND_POLICY);
    if (!slot.allowed)
      throw new TooManyRequestsError(
        `Too many verification mails were asked for. Try again in ${slot.retryAfterSeconds} seconds.`,
        slot.retryAfterSeconds,
      );
    // Every request counts (a mail is never given back): at the limit this starts the pause.
    await this.throttle.failed('verification-mail', key, ip, RESEND_POLICY);
    const account = await this.credentials.findByLogin(tenant?.id ?? null, login);
    if (!account || account.emailVerified || account.status !== 'active' || !(await this.required(account.tenantId))) return;
    await this.send(account, tenant);
  }
}
