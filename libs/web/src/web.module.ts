import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { ExternalLoginModule } from '@portico/external-login';
import { EntitlementsModule } from '@portico/entitlements';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { SignupModule } from '@portico/signup';
import { UsersModule } from '@portico/users';
import { WebhooksModule } from '@portico/webhooks';
import { ConsoleAuditController } from './console/audit.controller';
import { ConsoleLoginController } from './console/console-login.controller';
import { ConsoleExternalLoginSettingsController } from './console/external-login-settings.controller';
import { ConsoleExternalLoginController } from './console/external-login.controller';
import { DashboardController } from './console/dashboard.controller';
import { ConsoleEntitlementKeysController } from './console/entitlement-keys.controller';
import { ConsoleEntitlementSourcesController } from './console/entitlement-sources.controller';
import { ConsoleEntitlementsController } from './console/entitlements.controller';
import { ConsoleOrganizationsController } from './console/organizations.controller';
import { ConsoleTenantsController } from './console/tenants.controller';
import { ConsoleUsersController } from './console/users.controller';
import { ConsoleWebhooksController } from './console/webhooks.controller';
import { ConsoleSettingsController } from './console/settings.controller';
import { AccountController } from './public/account.controller';
import { LoginController } from './public/login.controller';
import { SignupPageController } from './public/signup-page.controller';

/** Server-rendered pages: the admin console and the public login, signup and account pages. */
@Module({
  imports: [
    AuthModule,
    TenantsModule,
    OrganizationsModule,
    UsersModule,
    SignupModule,
    EntitlementsModule,
    ExternalLoginModule,
    WebhooksModule,
  ],
  controllers: [
    ConsoleLoginController,
    DashboardController,
    ConsoleTenantsController,
    ConsoleOrganizationsController,
    ConsoleUsersController,
    ConsoleAuditController,
    ConsoleSettingsController,
    ConsoleEntitlementsController,
    ConsoleEntitlementKeysController,
    ConsoleEntitlementSourcesController,
    ConsoleExternalLoginController,
    ConsoleExternalLoginSettingsController,
    ConsoleWebhooksController,
    LoginController,
    AccountController,
    SignupPageController,
  ],
})
export class WebModule {}
