import type { DynamicModule, Type } from '@nestjs/common';
import { BillingModule } from '@portico/billing';
import { AppConfig, CoreModule, CoreOptions } from '@portico/core';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { WebhooksModule } from '@portico/webhooks';
import { MailModule } from '@portico/mail';
import { AccountsModule } from '@portico/accounts';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from './entities';

/** The core with every entity and migration: the server and the worker boot the same one. */
export function coreModule(config: AppConfig, options: CoreOptions = {}): DynamicModule {
  return CoreModule.forRoot(config, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }, options);
}

/**
 * The domain modules, job processors included: the server and the worker both load them. Modules
 * that only serve HTTP (sign-in, pages, the entitlement check) are added by the server alone.
 */
export const DOMAIN_MODULES: Type[] = [
  TenantsModule,
  OrganizationsModule,
  UsersModule,
  IdentityMapModule,
  WebhooksModule,
  BillingModule,
  MailModule,
  AccountsModule,
];
