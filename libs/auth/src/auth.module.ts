import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '@portico/mail';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { AccessGuard } from './access.guard';
import { ApiTokensService } from './api-tokens.service';
import { AuthRepository } from './auth.repository';
import { AuthenticatorController } from './authenticator/authenticator.controller';
import { AuthenticatorService } from './authenticator/authenticator.service';
import { RecoveryCodesService } from './authenticator/recovery-codes.service';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AdminApiToken } from './entities/admin-api-token.entity';
import { AuthSettings } from './entities/auth-settings.entity';
import { HttpSession } from './entities/http-session.entity';
import { LoginThrottle } from './entities/login-throttle.entity';
import { TenantAuthSettings } from './entities/tenant-auth-settings.entity';
import { UserAuthenticator } from './entities/user-authenticator.entity';
import { UserRecoveryCode } from './entities/user-recovery-code.entity';
import { FirstFactorRoutes } from './login/first-factor-routes';
import { LoginService } from './login/login.service';
import { PasswordLogin } from './login/password-login';
import { AccountNoticesService } from './notifications/account-notices.service';
import { PasswordChangeService } from './password/password-change.service';
import { PasswordPolicyService } from './password/password-policy.service';
import { UserSessionsController } from './session/user-sessions.controller';
import { UserSessionsService } from './session/user-sessions.service';
import { AuthSettingsController } from './settings/auth-settings.controller';
import { AuthSettingsService } from './settings/auth-settings.service';
import { LoginThrottleService } from './throttle/login-throttle.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([
      AdminApiToken,
      HttpSession,
      AuthSettings,
      TenantAuthSettings,
      LoginThrottle,
      UserAuthenticator,
      UserRecoveryCode,
    ]),
    TenantsModule,
    UsersModule,
    MailModule,
  ],
  controllers: [AuthSettingsController, AuthenticatorController, UserSessionsController],
  providers: [
    AuthRepository,
    ApiTokensService,
    AdminBootstrapService,
    AuthSettingsService,
    LoginThrottleService,
    PasswordLogin,
    FirstFactorRoutes,
    LoginService,
    AuthenticatorService,
    RecoveryCodesService,
    UserSessionsService,
    PasswordPolicyService,
    PasswordChangeService,
    AccountNoticesService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [
    AdminBootstrapService,
    ApiTokensService,
    AuthSettingsService,
    LoginThrottleService,
    LoginService,
    FirstFactorRoutes,
    AuthenticatorService,
    RecoveryCodesService,
    UserSessionsService,
    PasswordPolicyService,
    PasswordChangeService,
  ],
})
export class AuthModule {}
