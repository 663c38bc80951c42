import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { AppConfig, CoreOptions } from '@portico/core';
import { EntitlementsModule } from '@portico/entitlements';
import { ExternalLoginModule } from '@portico/external-login';
import { PortalModule } from '@portico/portal';
import { SignupModule } from '@portico/signup';
import { OidcModule } from '@portico/oidc';
import { LdapModule, SamlModule, TenantOidcModule } from '@portico/sso';
import { WebModule } from '@portico/web';
import { coreModule, DOMAIN_MODULES } from './portico-modules';

@Module({})
export class AppModule {
  static register(config: AppConfig, core: Pick<CoreOptions, 'clock'> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        coreModule(config, core),
        ...DOMAIN_MODULES,
        AuthModule,
        SignupModule,
        ExternalLoginModule,
        SamlModule,
        TenantOidcModule,
        LdapModule,
        PortalModule,
        EntitlementsModule,
        OidcModule,
        WebModule,
      ],
    };
  }
}
