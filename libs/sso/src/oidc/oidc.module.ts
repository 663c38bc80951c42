import { Module, NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@portico/auth';
import { RouteKinds } from '@portico/core';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { FederationModule } from '../federation/federation.module';
import { TenantOidcController } from './api/tenant-oidc.controller';
import { TenantOidcConnection } from './entities/tenant-oidc-connection.entity';
import { OidcRelyingParty } from './login/oidc-relying-party';
import { TenantOidcLogin } from './login/tenant-oidc-login';
import { TenantOidcSsoController } from './public/tenant-oidc-sso.controller';
import { TenantOidcConnections } from './tenant-oidc-connections';
import { TenantOidcRepository } from './tenant-oidc.repository';
import { TenantOidcService } from './tenant-oidc.service';

/** Tenant sign-in through the tenant's own OpenID provider (Portico as relying party): configuration API, init and callback. */
@Module({
  imports: [TypeOrmModule.forFeature([TenantOidcConnection]), TenantsModule, OrganizationsModule, AuthModule, FederationModule],
  controllers: [TenantOidcController, TenantOidcSsoController],
  providers: [TenantOidcRepository, OidcRelyingParty, TenantOidcConnections, TenantOidcLogin, TenantOidcService],
  exports: [TenantOidcService],
})
export class TenantOidcModule implements NestModule {
  constructor(private readonly routes: RouteKinds) {}

  // Sign-in pages: they keep the sign-in's state in the browser's session. The provider sends the
  // browser back with a top-level GET, which carries the Lax session cookie.
  configure(): void {
    // The provider reads Portico's public key (private_key_jwt) like an API: no session.
    this.routes.declare('/t/:tenantKey/oidc/jwks', 'machine');
    this.routes.declare('/t/:tenantKey/oidc/*', 'page');
  }
}
