import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@portico/auth';
import { AppConfig, RateLimits, RouteKinds } from '@portico/core';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { DelegatedLoginRouter } from './delegation/delegated-login';
import { EXTERNAL_LOGIN_PATH, ExternalLoginEndpointController } from './endpoint/external-login-endpoint.controller';
import { ExternalLoginEndpointService } from './endpoint/external-login-endpoint.service';
import { ExternalLoginProvider } from './entities/external-login-provider.entity';
import { ExternalLoginSettings } from './entities/external-login-settings.entity';
import { ExternalLoginRepository } from './external-login.repository';
import { ProviderCircuitBreakers } from './providers/circuit-breaker';
import { ExternalLoginProvidersController } from './providers/external-login-providers.controller';
import { ExternalLoginProvidersService } from './providers/external-login-providers.service';
import { ProviderClient } from './providers/provider-client';
import { ExternalLoginSettingsController } from './settings/external-login-settings.controller';
import { ExternalLoginSettingsService } from './settings/external-login-settings.service';

/**
 * External login providers, both ways: Portico answering POST /external-login for other systems,
 * and organizations whose sign-ins Portico delegates to a provider. It depends on auth (throttle,
 * settings, the first-factor routes it plugs into); auth does not depend on it.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ExternalLoginProvider, ExternalLoginSettings]),
    AuthModule,
    TenantsModule,
    OrganizationsModule,
    UsersModule,
  ],
  controllers: [ExternalLoginProvidersController, ExternalLoginSettingsController, ExternalLoginEndpointController],
  providers: [
    ExternalLoginRepository,
    ProviderCircuitBreakers,
    ProviderClient,
    ExternalLoginProvidersService,
    ExternalLoginSettingsService,
    ExternalLoginEndpointService,
    DelegatedLoginRouter,
  ],
  exports: [ExternalLoginProvidersService, ExternalLoginSettingsService],
})
export class ExternalLoginModule implements NestModule {
  constructor(
    private readonly routes: RouteKinds,
    private readonly limits: RateLimits,
    private readonly config: AppConfig,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // It answers a body that is too large or not JSON by its contract, not with a 4xx: it reads the body itself.
    this.routes.declare(EXTERNAL_LOGIN_PATH, 'machine', { readsOwnBody: true });
    consumer
      .apply(this.limits.perAddress('external-login', this.config.rateLimits.anonymous))
      .forRoutes({ path: EXTERNAL_LOGIN_PATH.slice(1), method: RequestMethod.POST });
  }
}
