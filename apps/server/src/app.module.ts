import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { AppConfig, CoreModule } from '@portico/core';
import { EntitlementsModule } from '@portico/entitlements';
import { ExternalLoginModule } from '@portico/external-login';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { LdapModule } from '@portico/sso';
import { PortalModule } from '@portico/portal';
import { TenantsModule } from '@portico/tenants';
import { SignupModule } from '@portico/signup';
import { SamlModule } from '@portico/sso';
import { UsersModule } from '@portico/users';
import { WebModule } from '@portico/web';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from './entities';

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }),
        TenantsModule,
        OrganizationsModule,
        UsersModule,
        IdentityMapModule,
        AuthModule,
        SignupModule,
        ExternalLoginModule,
        SamlModule,
        EntitlementsModule,
        LdapModule,
        PortalModule,
        WebModule,
      ],
    };
  }
}
