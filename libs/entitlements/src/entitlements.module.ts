import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, RateLimits, ReservingLimiter, RouteKinds } from '@portico/core';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { CHECK_PATH, entitlementCheckRoute } from './check/check-route';
import { EntitlementCheckService } from './check/entitlement-check.service';
import { CheckSettingsService } from './check/check-settings.service';
import { KeyLookupRepository } from './check/key-lookup.repository';
import { DecisionLogRepository } from './decisions/decision-log.repository';
import { DecisionLogService } from './decisions/decision-log.service';
import { DelegationService } from './delegation/delegation.service';
import { EntitlementChecksController } from './entitlement-checks.controller';
import { EntitlementClassesController } from './entitlement-classes.controller';
import { EntitlementClassesService } from './entitlement-classes.service';
import { EntitlementSourcesController } from './entitlement-sources.controller';
import { EntitlementSourcesService } from './entitlement-sources.service';
import { EntitlementsRepository } from './entitlements.repository';
import { EntitlementClass } from './entities/entitlement-class.entity';
import { EntitlementDecision } from './entities/entitlement-decision.entity';
import { EntitlementServerAccess } from './entities/entitlement-server-access.entity';
import { EntitlementSource } from './entities/entitlement-source.entity';
import { VirtualEntitlement } from './entities/virtual-entitlement.entity';
import { VirtualImportService } from './import/virtual-import.service';
import { ServerAccessService } from './server-access.service';
import { VirtualEntitlementsController } from './virtual-entitlements.controller';
import { VirtualEntitlementsService } from './virtual-entitlements.service';

/**
 * Entitlement verification: classes, virtual keys, delegation, caller allow-lists, the JSON API.
 * The public check endpoint is an Express handler (check/check-route.ts) that this module mounts.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([EntitlementClass, VirtualEntitlement, EntitlementSource, EntitlementServerAccess, EntitlementDecision]),
    TenantsModule,
    OrganizationsModule,
  ],
  controllers: [EntitlementChecksController, EntitlementClassesController, VirtualEntitlementsController, EntitlementSourcesController],
  providers: [
    CheckSettingsService,
    KeyLookupRepository,
    EntitlementsRepository,
    DelegationService,
    DecisionLogRepository,
    DecisionLogService,
    EntitlementCheckService,
    EntitlementClassesService,
    VirtualEntitlementsService,
    VirtualImportService,
    EntitlementSourcesService,
    ServerAccessService,
  ],
  // What the console pages need; the check's internals stay inside.
  exports: [
    EntitlementClassesService,
    VirtualEntitlementsService,
    VirtualImportService,
    EntitlementSourcesService,
    ServerAccessService,
    DecisionLogService,
  ],
})
export class EntitlementsModule implements NestModule {
  constructor(
    private readonly checks: EntitlementCheckService,
    private readonly routes: RouteKinds,
    private readonly limits: RateLimits,
    private readonly config: AppConfig,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // The check answers alone: the app-wide middleware let it through untouched (see check-route.ts).
    this.routes.declare(CHECK_PATH, 'own', { methods: ['GET', 'HEAD'] });
    const door = this.limits.limiter('check', this.config.rateLimits.check);
    consumer
      .apply(entitlementCheckRoute(this.checks, door && new ReservingLimiter(door)))
      .forRoutes({ path: CHECK_PATH.slice(1), method: RequestMethod.GET });
  }
}
