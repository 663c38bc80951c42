import { Injectable, OnModuleInit } from '@nestjs/common';
import { PasswordChecks, passwordProblem, type PasswordRules } from '@portico/users';
import { AuthSettingsService } from '../settings/auth-settings.service';

/**
 * The password policy of Global Configuration › Authentication (minimum length, common passwords
 * refused), for every place a password is chosen: sign-up, the user API, change, reset, invitations.
 */
@Injectable()
export class PasswordPolicyService implements OnModuleInit {
  constructor(
    private readonly settings: AuthSettingsService,
    private readonly checks: PasswordChecks,
  ) {}

  // The users module (sign-up and the API create users through it) asks through this.
  onModuleInit(): void {
    this.checks.use((password, tenantId) => this.check(password, tenantId));
  }

  /** The rules that apply to a tenant's users (null: direct users and admins), to tell people before they choose. */
  async rules(tenantId: string | null): Promise<PasswordRules> {
    return (await this.settings.effective(tenantId)).passwordPolicy;
  }

  /** What is wrong with a new password for a tenant's user (null: direct users and admins), naming the field; null when it is fine. */
  async check(password: string, tenantId: string | null): Promise<string | null> {
    return passwordProblem(password, (await this.settings.effective(tenantId)).passwordPolicy);
  }
}
