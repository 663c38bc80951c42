import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@portico/auth';
import { AppConfig, RateLimits } from '@portico/core';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccountWebhooksController } from './account-webhooks/account-webhooks.controller';
import { AccountWebhooksService } from './account-webhooks/account-webhooks.service';
import { AutologinController } from './autologin/autologin.controller';
import { AutologinLogin } from './autologin/autologin-login';
import { AutologinSecretsService } from './autologin/autologin-secrets.service';
import { AutologinTokens } from './autologin/autologin-token';
import { AutologinJwtId } from './autologin/entities/autologin-jwt-id.entity';
import { AutologinSecret } from './autologin/entities/autologin-secret.entity';
import { AutologinSession } from './autologin/entities/autologin-session.entity';
import { PortalDirectory } from './directory/portal-directory';
import { InboundReceipt } from './notifications/entities/inbound-receipt.entity';
import { InboundReceipts } from './notifications/inbound-receipts';
import { NotificationsController } from './notifications/notifications.controller';
import { NotificationsService } from './notifications/notifications.service';
import { PortalRepository } from './portal.repository';
import { PortalService } from './portal.service';

/** Portal integration: autologin, the account webhooks and data-sharing notifications of a tenant's portal. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AutologinSecret, AutologinSession, AutologinJwtId, InboundReceipt]),
    AuthModule,
    TenantsModule,
    OrganizationsModule,
    UsersModule,
    IdentityMapModule,
  ],
  controllers: [AutologinController, AccountWebhooksController, NotificationsController],
  providers: [
    PortalRepository,
    PortalDirectory,
    AutologinSecretsService,
    AutologinTokens,
    AutologinLogin,
    AccountWebhooksService,
    InboundReceipts,
    NotificationsService,
    PortalService,
  ],
  exports: [PortalService],
})
export class PortalModule implements NestModule {
  constructor(
    private readonly limits: RateLimits,
    private readonly config: AppConfig,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(this.limits.perAddress('autologin', this.config.rateLimits.anonymous))
      .forRoutes({ path: 'api/auth/autologin', method: RequestMethod.POST });
  }
}
