import { Module, NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@portico/auth';
import { RouteKinds } from '@portico/core';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { SamlConnectionsController } from './api/saml-connections.controller';
import { SamlAssertionReplay } from './entities/saml-assertion-replay.entity';
import { FederationModule } from '../federation/federation.module';
import { SamlConnection } from './entities/saml-connection.entity';
import { SamlRequest } from './entities/saml-request.entity';
import { SamlLogin } from './login/saml-login';
import { SamlSsoController } from './public/saml-sso.controller';
import { TenantManifestController } from './public/tenant-manifest.controller';
import { SamlConnections } from './saml-connections';
import { SamlRepository } from './saml.repository';
import { SamlService } from './saml.service';
import { SamlStore } from './store/saml-store';

/** SAML single sign-on per tenant: configuration API, SP metadata, init and ACS, and the tenant manifest. */
@Module({
  imports: [
    TypeOrmModule.forFeature([SamlConnection, SamlRequest, SamlAssertionReplay]),
    TenantsModule,
    OrganizationsModule,
    UsersModule,
    IdentityMapModule,
    AuthModule,
    FederationModule,
  ],
  controllers: [SamlConnectionsController, SamlSsoController, TenantManifestController],
  providers: [SamlRepository, SamlConnections, SamlStore, SamlLogin, SamlService],
  exports: [SamlService],
})
export class SamlModule implements NestModule {
  constructor(private readonly routes: RouteKinds) {}

  // Sign-in pages: they start a session. The IdP posts the ACS from its own site, so it cannot carry
  // Portico's CSRF token; the signed response and its InResponseTo check stand in for it.
  configure(): void {
    this.routes.declare('/t/:tenantKey/saml/consume', 'cross-site-page');
    this.routes.declare('/t/:tenantKey/saml/*', 'page');
  }
}
