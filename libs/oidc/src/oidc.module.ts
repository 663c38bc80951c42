import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@portico/auth';
import { RouteKinds } from '@portico/core';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import type { NextFunction, Request, Response } from 'express';
import { OidcClientsController, OidcKeysController } from './clients/oidc-clients.controller';
import { OidcClientsService } from './clients/oidc-clients.service';
import { OidcConsoleTry } from './console/oidc-console-try.service';
import { OidcClient } from './entities/oidc-client.entity';
import { OidcPayload } from './entities/oidc-payload.entity';
import { OidcSigningKey } from './entities/oidc-signing-key.entity';
import { OidcInteractions } from './interaction/oidc-interactions.service';
import { BackchannelLogoutProcessor } from './logout/backchannel-logout.processor';
import { OidcRevocationProcessor } from './logout/oidc-revocation.processor';
import { OidcSessions } from './logout/oidc-sessions.service';
import { SigningKeysService } from './keys/signing-keys.service';
import { OidcAccounts } from './provider/accounts';
import { OIDC_MOUNT, OidcProviderService } from './provider/oidc-provider.service';
import { OidcRepository } from './oidc.repository';

/**
 * Portico as an OpenID Connect provider: the certified library mounted at /oidc (its routes are
 * not Nest controllers), its storage on Portico's database, signing keys, the clients API, and
 * the glue that hands authorization requests to Portico's own sign-in and consent pages.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OidcClient, OidcPayload, OidcSigningKey]), TenantsModule, UsersModule, AuthModule],
  controllers: [OidcClientsController, OidcKeysController],
  providers: [
    OidcRepository,
    SigningKeysService,
    OidcClientsService,
    OidcAccounts,
    OidcProviderService,
    OidcInteractions,
    OidcConsoleTry,
    OidcSessions,
    BackchannelLogoutProcessor,
    OidcRevocationProcessor,
  ],
  exports: [OidcInteractions, OidcClientsService, SigningKeysService, OidcConsoleTry, OidcSessions],
})
export class OidcModule implements NestModule {
  constructor(
    private readonly oidc: OidcProviderService,
    private readonly routes: RouteKinds,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // The provider parses its own (OAuth) bodies and needs no Portico session or CSRF token.
    this.routes.declare([OIDC_MOUNT, `${OIDC_MOUNT}/*`], 'machine', { readsOwnBody: true });
    const oidc = this.oidc;
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => oidc.handle(req, res, next))
      .forRoutes(
        { path: `${OIDC_MOUNT.slice(1)}/*path`, method: RequestMethod.ALL },
        { path: OIDC_MOUNT.slice(1), method: RequestMethod.ALL },
      );
  }
}
