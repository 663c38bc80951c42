import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { EmailChangeModule, EmailVerificationModule, InvitationsModule, PasswordResetModule } from '@portico/accounts';
import { AuthModule } from '@portico/auth';
import { AppConfig, RateLimits, RouteKinds } from '@portico/core';
import { BillingModule } from '@portico/billing';
import { ExternalLoginModule } from '@portico/external-login';
import { EntitlementsModule } from '@portico/entitlements';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { OidcModule } from '@portico/oidc';
import { PortalModule } from '@portico/portal';
import { TenantsModule } from '@portico/tenants';
import { SignupModule } from '@portico/signup';
import { LdapModule, SamlModule, TenantOidcModule } from '@portico/sso';
import { UsersModule } from '@portico/users';
import { WebhooksModule } from '@portico/webhooks';
import { ConsoleAuditController } from './console/audit.controller';
import { ConsoleBillingChargesController } from './console/billing-charges.controller';
import { ConsoleBillingController } from './console/billing.controller';
import { ConsoleLoginController } from './console/console-login.controller';
import { ConsoleExternalLoginSettingsController } from './console/external-login-settings.controller';
import { ConsoleExternalLoginController } from './console/external-login.controller';
import { DashboardController } from './console/dashboard.controller';
import { ConsoleEntitlementKeysController } from './console/entitlement-keys.controller';
import { ConsoleEntitlementSourcesController } from './console/entitlement-sources.controller';
import { ConsoleEntitlementsController } from './console/entitlements.controller';
import { ConsoleOrganizationsController } from './console/organizations.controller';
import { ConsoleTenantSamlController } from './console/tenant-saml.controller';
import { ConsoleTenantOidcController } from './console/tenant-oidc.controller';
import { ConsoleTenantsController } from './console/tenants.controller';
import { ConsoleUsersController } from './console/users.controller';
import { ConsoleWebhooksController } from './console/webhooks.controller';
import { ConsoleApplicationsController, ConsoleApplicationTryController } from './console/applications.controller';
import { ConsoleOidcKeysController } from './console/oidc-keys.controller';
import { ConsoleSettingsController } from './console/settings.controller';
import { ConsoleLdapDirectoriesController } from './console/ldap-directories.controller';
import { LdapDirectoryPages } from './console/ldap-directory-pages';
import { ConsoleTenantLdapController } from './console/tenant-ldap.controller';
import { AccountController } from './public/account.controller';
import { AccountSecurityController } from './public/account-security.controller';
import { AccountEmailController } from './public/account-email.controller';
import { AccountOrganizationsController } from './public/account-organizations.controller';
import { InvitationPageController } from './public/invitation-page.controller';
import { ConsoleOrganizationInvitationsController } from './console/organization-invitations.controller';
import { ConsoleOrganizationMembersController } from './console/organization-members.controller';
import { OrganizationPages } from './console/organization-page';
import { LoginController } from './public/login.controller';
import { SignupPageController } from './public/signup-page.controller';
import { AutologinSessionController } from './public/autologin-session.controller';
import { OidcInteractionController } from './public/oidc-interaction.controller';
import { TenantFraming, TenantFramingInterceptor } from './public/tenant-framing';
import { ConsoleTenantIdentityLinksController } from './console/tenant-identity-links.controller';
import { declareWebRoutes } from './route-kinds';
import { ConsoleMailboxController } from './console/mailbox.controller';
import { MailBanner } from './console/mail-banner';
import { MailModule } from '@portico/mail';
import { AccountRecoveryController } from './public/account-recovery.controller';
import { limitPublicDoors } from './public/door-limits';
import { ConsoleAdministratorsController } from './console/administrators.controller';
import { ConsoleApiTokensController } from './console/api-tokens.controller';
import { ConsoleMeController } from './console/me.controller';
import { ConsoleNotFoundController } from './console/not-found.controller';

const CONTROLLERS = [
  ConsoleLoginController,
  DashboardController,
  ConsoleTenantsController,
  ConsoleTenantSamlController,
  ConsoleTenantOidcController,
  ConsoleOrganizationsController,
  ConsoleOrganizationInvitationsController,
  ConsoleOrganizationMembersController,
  ConsoleUsersController,
  ConsoleAuditController,
  ConsoleMailboxController,
  ConsoleSettingsController,
  ConsoleEntitlementsController,
  ConsoleEntitlementKeysController,
  ConsoleEntitlementSourcesController,
  ConsoleExternalLoginController,
  ConsoleExternalLoginSettingsController,
  ConsoleTenantLdapController,
  ConsoleLdapDirectoriesController,
  ConsoleWebhooksController,
  ConsoleApplicationsController,
  ConsoleApplicationTryController,
  ConsoleOidcKeysController,
  ConsoleBillingController,
  ConsoleBillingChargesController,
  ConsoleAdministratorsController,
  ConsoleApiTokensController,
  ConsoleMeController,
  LoginController,
  AccountController,
  AccountSecurityController,
  AccountEmailController,
  AccountOrganizationsController,
  InvitationPageController,
  SignupPageController,
  AccountRecoveryController,
  AutologinSessionController,
  OidcInteractionController,
  ConsoleTenantIdentityLinksController,
  // Last: any /console address no page above answers.
  ConsoleNotFoundController,
];

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
    LdapModule,
    SamlModule,
    TenantOidcModule,
    IdentityMapModule,
    PortalModule,
    WebhooksModule,
    BillingModule,
    OidcModule,
    MailModule,
    EmailVerificationModule,
    PasswordResetModule,
    InvitationsModule,
    EmailChangeModule,
  ],
  controllers: CONTROLLERS,
  providers: [LdapDirectoryPages, TenantFraming, TenantFramingInterceptor, MailBanner, OrganizationPages],
})
export class WebModule implements NestModule {
  constructor(
    private readonly routes: RouteKinds,
    private readonly limits: RateLimits,
    private readonly config: AppConfig,
  ) {}

  // Sessions and CSRF belong to these routes alone.
  configure(consumer: MiddlewareConsumer): void {
    declareWebRoutes(this.routes, CONTROLLERS);
    limitPublicDoors(consumer, this.limits, this.config.rateLimits);
  }
}
