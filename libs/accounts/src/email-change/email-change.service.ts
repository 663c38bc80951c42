import { Injectable } from '@nestjs/common';
import { AuthSettingsService, lockedMessage, lockoutPolicy, LoginThrottleService } from '@portico/auth';
import {
  AppConfig,
  AuditService,
  ConflictError,
  CryptoService,
  InvalidInputError,
  RequestContext,
  TooManyRequestsError,
  TransactionService,
} from '@portico/core';
import { MailService } from '@portico/mail';
import { TenantsService } from '@portico/tenants';
import { UserCredentialsService, UsersService } from '@portico/users';
import { AccountTokensService, TokenFailure } from '../tokens/account-tokens.service';

export type EmailChangeOutcome = { ok: true; email: string; userId: string } | { ok: false; reason: TokenFailure | 'taken' };

/**
 * Changing a signed-in person's address: the new address proves itself through a mailed link
 * before it replaces the old one, which is told afterwards (product.md §12).
 */
@Injectable()
export class EmailChangeService {
  constructor(
    private readonly tx: TransactionService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly crypto: CryptoService,
    private readonly config: AppConfig,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly credentials: UserCredentialsService,
    private readonly settings: AuthSettingsService,
    private readonly throttle: LoginThrottleService,
  ) {}

  /** Whether the account signs in with a Portico password (then the current one confirms the change). */
  async hasPassword(userId: string): Promise<boolean> {
    return !!(await this.credentials.findById(userId))?.passwordHash;
  }

  /**
   * Mails a confirmation link to `newEmail`. An address another account of the tenant has gets the
   * same answer and nothing else, so the page tells no one whose address it is.
   */
  async request(ctx: RequestContext, newEmail: string, currentPassword: string): Promise<void> {
    const account = await this.credentials.findById(ctx.actor.id);
    if (!account) throw new InvalidInputError('Your account no longer exists');
    if (account.passwordHash) await this.checkPassword(ctx, account, currentPassword);
    const email = newEmail.trim();
    const lower = email.toLowerCase();
    if (lower === account.email.toLowerCase()) throw new InvalidInputError('That is your address already');
    const holder = await this.credentials.findByLogin(account.tenantId, lower);
    const taken = !!holder && holder.id !== account.id;
    const tenant = account.tenantId ? await this.tenants.findById(account.tenantId) : null;
    await this.tx.run(async () => {
      await this.audit.record(ctx, {
        action: 'user.email_change_requested',
        targetType: 'user',
        targetId: account.id,
        tenant,
        details: { newEmail: email, sent: !taken },
      });
      if (taken) return;
      // A newer request replaces the older links. The page that confirms is the global one, so is the token.
      await this.tokens.revokeAll('email-change', account.id);
      const raw = await this.tokens.issue({ purpose: 'email-change', userId: account.id, tenantId: null, email });
      await this.mail.send({
        to: email,
        template: 'email-change',
        tenant: tenant ? { id: tenant.id, key: tenant.key, name: tenant.name } : null,
        vars: { name: account.firstName || account.email, link: `${this.config.publicUrl}/account/email/confirm?token=${raw}` },
      });
    });
  }

  /** The current password, behind the sign-in's password throttle: a borrowed session cannot guess it to take the account. */
  private async checkPassword(
    ctx: RequestContext,
    account: { id: string; tenantId: string | null; email: string; passwordHash: string | null },
    password: string,
  ): Promise<void> {
    const policy = lockoutPolicy((await this.settings.effective(account.tenantId)).lockout, 'password');
    const key = this.throttle.accountKey(account.tenantId, account.email, account.id);
    const slot = await this.throttle.reserve('password', key, ctx.ip, policy);
    if (!slot.allowed) throw new TooManyRequestsError(lockedMessage(slot.retryAfterSeconds), slot.retryAfterSeconds);
    if (await this.crypto.verifyPassword(account.passwordHash, password)) return this.throttle.succeeded('password', key, ctx.ip);
    const wait = await this.throttle.failed('password', key, ctx.ip, policy);
    if (wait) throw new TooManyRequestsError(lockedMessage(wait), wait);
    throw new InvalidInputError('The current password is not right');
  }

  /** The address a link would confirm, without using it. */
  async peek(raw: string): Promise<{ ok: true; email: string } | { ok: false; reason: TokenFailure }> {
    const checked = await this.tokens.peek('email-change', raw, null);
    return checked.ok ? { ok: true, email: checked.token.email } : checked;
  }

  /** Follows the link: the account takes the new address (and a username that was the old address), and the old address is told. */
  async confirm(raw: string, ip: string | null): Promise<EmailChangeOutcome> {
    try {
      return await this.tx.run(async () => {
        const used = await this.tokens.consume('email-change', raw, null);
        if (!used.ok) return used;
        const account = used.token.userId ? await this.credentials.findById(used.token.userId) : null;
        if (!account) return { ok: false, reason: 'unknown' };
        const tenant = account.tenantId ? await this.tenants.findById(account.tenantId) : null;
        const ctx = RequestContext.system('email-change', account.tenantId, ip);
        const oldEmail = account.email;
        const email = used.token.email;
        const usernameWasEmail = account.username.toLowerCase() === oldEmail.toLowerCase();
        // The link proved the new address is theirs.
        await this.users.update(ctx, account.id, { email, emailVerified: true, ...(usernameWasEmail ? { username: email } : {}) });
        await this.tokens.revokeAll('email-change', account.id);
        await this.mail.send({
          to: oldEmail,
          template: 'email-changed',
          tenant: tenant ? { id: tenant.id, key: tenant.key, name: tenant.name } : null,
          vars: { name: account.firstName || oldEmail, oldEmail, newEmail: email },
        });
        return { ok: true, email, userId: account.id };
      });
    } catch (err) {
      // Someone took the address between the request and the link: the change (and the link's use) rolls back.
      if (err instanceof ConflictError) return { ok: false, reason: 'taken' };
      throw err;
    }
  }
}
