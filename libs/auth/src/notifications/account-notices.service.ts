import { Injectable } from '@nestjs/common';
import { AppConfig } from '@portico/core';
import { MailService } from '@portico/mail';
import type { TenantRef } from '@portico/tenants';
import type { LoginAccount } from '@portico/users';

/** Mail that tells people what happened to their account's security. Joins the caller's transaction. */
@Injectable()
export class AccountNoticesService {
  constructor(
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  /** A recovery code was used to sign in: the owner hears of it, with how many are left. */
  async recoveryCodeUsed(account: LoginAccount, tenant: TenantRef | null, remaining: number): Promise<void> {
    await this.mail.send({
      to: account.email,
      template: 'recovery-code-used',
      tenant: tenant ? { id: tenant.id, key: tenant.key, name: tenant.name } : null,
      vars: {
        firstName: account.firstName || account.email,
        email: account.email,
        remaining,
        authenticatorLink: `${this.config.publicUrl}/account/authenticator`,
        passwordLink: `${this.config.publicUrl}/account/password`,
      },
    });
  }
}
