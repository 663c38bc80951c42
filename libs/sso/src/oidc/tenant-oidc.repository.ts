import { Injectable } from '@nestjs/common';
import { TransactionService } from '@portico/core';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TenantOidcConnection } from './entities/tenant-oidc-connection.entity';

/** Every query of tenant OpenID Connect sign-in: the tenants' provider connections. Writes join the caller's transaction. */
@Injectable()
export class TenantOidcRepository {
  constructor(private readonly tx: TransactionService) {}

  connectionOf(tenantId: string): Promise<TenantOidcConnection | null> {
    return this.tx.manager.findOneBy(TenantOidcConnection, { tenantId });
  }

  newConnection(tenantId: string, fields: Partial<TenantOidcConnection>): TenantOidcConnection {
    return this.tx.manager.create(TenantOidcConnection, { tenantId, ...fields });
  }

  async saveConnection(row: TenantOidcConnection): Promise<void> {
    await this.tx.manager.save(row);
  }

  /** Keeps a fresh discovery document without touching the settings around it. */
  async saveDiscovery(tenantId: string, discovery: string, discoveredAt: Date): Promise<void> {
    await this.tx.manager.update(TenantOidcConnection, { tenantId }, {
      discovery,
      discoveredAt,
    } as QueryDeepPartialEntity<TenantOidcConnection>);
  }

  /** True when there was a connection to delete. */
  async deleteConnection(tenantId: string): Promise<boolean> {
    return !!(await this.tx.manager.delete(TenantOidcConnection, { tenantId })).affected;
  }
}
