import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, CryptoService, RequestContext } from '@portico/core';
import { LoginAccount, UserCredentialsService } from '@portico/users';
import { ApiTokensService, ENVIRONMENT_TOKEN_NAME } from './api-tokens.service';
import { LoginThrottleService } from './throttle/login-throttle.service';

/**
 * What a fresh instance needs at start: its first platform admin and the ADMIN_API_TOKEN. Run by
 * the server under the startup lock, after the migrations; safe to run again and from several
 * processes (whoever comes second finds the admin and announces nothing).
 */
@Injectable()
export class AdminBootstrapService {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly crypto: CryptoService,
    private readonly credentials: UserCredentialsService,
    private readonly tokens: ApiTokensService,
    private readonly throttle: LoginThrottleService,
  ) {}

  async run(): Promise<void> {
    if (this.config.adminApiToken) await this.tokens.ensure(ENVIRONMENT_TOKEN_NAME, this.config.adminApiToken);
    if ((await this.credentials.countPlatformAdmins()) > 0) return;
    const ctx = RequestContext.system('bootstrap');
    const email = this.config.adminEmail ?? 'admin@localhost';
    if (this.config.adminPassword) {
      if (await this.credentials.createFirstPlatformAdmin(ctx, email, this.config.adminPassword)) {
        this.logger.log(`Created the first platform administrator ${email}`);
      }
      return;
    }
    const password = this.crypto.randomToken(12);
    if (!(await this.credentials.createFirstPlatformAdmin(ctx, email, password))) return;
    // Printed once, on purpose, to the terminal of whoever started a fresh instance.
    process.stdout.write(
      `\n  First platform administrator created.\n  Sign in at ${this.config.publicUrl}/console/login\n  email:    ${email}\n  password: ${password}\n  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose them)\n\n`,
    );
  }

  /**
   * The way back in (`npm run admin -- reset-password`): a new generated password for a platform
   * administrator, whose password lockout ends with it. Null when no administrator has that email.
   */
  async resetPassword(ctx: RequestContext, email: string): Promise<{ account: LoginAccount; password: string } | null> {
    const password = this.crypto.randomToken(12);
    const account = await this.credentials.resetPlatformAdminPassword(ctx, email, password);
    if (!account) return null;
    await this.throttle.succeeded('password', this.throttle.accountKey(null, account.email, account.id), null);
    return { account, password };
  }
}
