import { Injectable } from '@nestjs/common';
import { AuditService, CryptoService, RequestContext, TransactionService } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UserCredentialsService } from '@portico/users';
import { lockedMessage } from '../login/login-method';
import { UserSessionsService } from '../session/user-sessions.service';
import { AuthSettingsService } from '../settings/auth-settings.service';
import { lockoutPolicy, LoginThrottleService } from '../throttle/login-throttle.service';
import { PasswordPolicyService } from './password-policy.service';

export type PasswordChangeResult =
  | { ok: true; otherSessionsEnded: number }
  | { ok: false; status: 400 | 401 | 429; field: 'currentPassword' | 'newPassword'; message: string; retryAfterSeconds?: number };

/**
 * A signed-in user changing their own password: the current one first (behind the password
 * throttle, so a borrowed session cannot guess it), the policy for the new one, and every other
 * session of theirs ends.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly tx: TransactionService,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly credentials: UserCredentialsService,
    private readonly tenants: TenantsService,
    private readonly settings: AuthSettingsService,
    private readonly throttle: LoginThrottleService,
    private readonly policy: PasswordPolicyService,
    private readonly sessions: UserSessionsService,
  ) {}

  /** Whether the user has a password of Portico's own (an SSO-only account has none to change). */
  async hasPassword(userId: string): Promise<boolean> {
    return !!(await this.credentials.findById(userId))?.passwordHash;
  }

  async change(ctx: RequestContext, userId: string, current: string, next: string, keepSid: string): Promise<PasswordChangeResult> {
    const account = await this.credentials.findById(userId);
    if (!account?.passwordHash)
      return { ok: false, status: 400, field: 'currentPassword', message: 'This account has no Portico password to change.' };
    const ip = ctx.ip;
    const policy = lockoutPolicy((await this.settings.effective(account.tenantId)).lockout, 'password');
    const accountKey = this.throttle.accountKey(account.tenantId, account.email, account.id);
    const reservation = await this.throttle.reserve('password', accountKey, ip, policy);
    if (!reservation.allowed) {
      const wait = reservation.retryAfterSeconds;
      return { ok: false, status: 429, field: 'currentPassword', message: lockedMessage(wait), retryAfterSeconds: wait };
    }
    const tenant = account.tenantId ? await this.tenants.findById(account.tenantId) : null;
    if (!(await this.crypto.verifyPassword(account.passwordHash, current))) {
      const wait = await this.throttle.failed('password', accountKey, ip, policy);
      await this.audit.record(ctx, { action: 'user.password.change_refused', targetType: 'user', targetId: userId, tenant });
      if (wait) return { ok: false, status: 429, field: 'currentPassword', message: lockedMessage(wait), retryAfterSeconds: wait };
      return { ok: false, status: 401, field: 'currentPassword', message: 'Your current password is not right.' };
    }
    await this.throttle.succeeded('password', accountKey, ip);
    const problem = await this.policy.check(next, account.tenantId);
    if (problem) return { ok: false, status: 400, field: 'newPassword', message: `New ${problem}` };
    if (next === current)
      return { ok: false, status: 400, field: 'newPassword', message: 'New password must differ from the current one.' };
    const hash = await this.crypto.hashPassword(next);
    await this.tx.run(async () => {
      await this.credentials.setPasswordHash(userId, hash);
      await this.audit.record(ctx, { action: 'user.password.changed', targetType: 'user', targetId: userId, tenant });
    });
    const otherSessionsEnded = await this.sessions.endOthers(ctx, userId, keepSid, 'password-changed');
    return { ok: true, otherSessionsEnded };
  }
}
