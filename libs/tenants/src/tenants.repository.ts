import { Injectable } from '@nestjs/common';
import {
  containsPattern,
  findOneFast,
  LIKE_ESCAPE,
  Page,
  PageQueryDto,
  RequestContext,
  scopedList,
  TransactionService,
} from '@portico/core';
import { IsNull } from 'typeorm';
import { TenantApiKey } from './entities/tenant-api-key.entity';
import { TenantIntegration } from './entities/tenant-integration.entity';
import { Tenant } from './entities/tenant.entity';

// Tenants, their keys and integrations are platform-admin records: no tenant owns the row, so lists are unscoped.
const UNSCOPED = RequestContext.system('tenants');

/** Every query of the tenants domain (tenants, API keys, integrations), in the ambient transaction. */
@Injectable()
export class TenantsRepository {
  constructor(private readonly tx: TransactionService) {}

  list<T>(query: PageQueryDto & { search?: string }, map: (rows: Tenant[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager.createQueryBuilder(Tenant, 't').orderBy('t.key', 'ASC');
    if (query.search)
      qb.where(`(LOWER(t.key) LIKE :s ${LIKE_ESCAPE} OR LOWER(t.name) LIKE :s ${LIKE_ESCAPE})`, { s: containsPattern(query.search) });
    return scopedList(UNSCOPED, qb, query, {}, map);
  }

  findByKey(key: string): Promise<Tenant | null> {
    return this.tx.manager.findOneBy(Tenant, { key });
  }

  findById(id: string): Promise<Tenant | null> {
    // Plain SQL: every OpenID Connect grant reads the client's and the user's tenant.
    return findOneFast(this.tx.manager, Tenant, { id });
  }

  findByIds(ids: string[]): Promise<Tenant[]> {
    return this.tx.manager.createQueryBuilder(Tenant, 't').where('t.id IN (:...ids)', { ids }).getMany();
  }

  create(fields: Partial<Tenant>): Promise<Tenant> {
    const m = this.tx.manager;
    return m.save(m.create(Tenant, fields));
  }

  save(tenant: Tenant): Promise<Tenant> {
    return this.tx.manager.save(tenant);
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(Tenant, { id });
  }

  /** A tenant's keys, newest first, revoked ones included. */
  listApiKeys<T>(tenantId: string, query: PageQueryDto, map: (rows: TenantApiKey[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager
      .createQueryBuilder(TenantApiKey, 'k')
      .where('k.tenant_id = :tenantId', { tenantId })
      .orderBy('k.createdAt', 'DESC')
      .addOrderBy('k.keyId', 'ASC');
    return scopedList(UNSCOPED, qb, query, {}, map);
  }

  createApiKey(fields: Partial<TenantApiKey>): Promise<TenantApiKey> {
    const m = this.tx.manager;
    return m.save(m.create(TenantApiKey, fields));
  }

  findApiKey(tenantId: string, keyId: string): Promise<TenantApiKey | null> {
    return this.tx.manager.findOneBy(TenantApiKey, { tenantId, keyId });
  }

  saveApiKey(apiKey: TenantApiKey): Promise<TenantApiKey> {
    return this.tx.manager.save(apiKey);
  }

  /** An unrevoked key with its tenant. */
  findActiveApiKey(keyId: string): Promise<TenantApiKey | null> {
    return this.tx.manager.findOne(TenantApiKey, { where: { keyId, revokedAt: IsNull() }, relations: { tenant: true } });
  }

  findIntegration(tenantId: string): Promise<TenantIntegration | null> {
    return this.tx.manager.findOneBy(TenantIntegration, { tenantId });
  }

  /** A tenant's integration row, or a new unsaved one. */
  async integrationOrNew(tenantId: string): Promise<TenantIntegration> {
    return (await this.findIntegration(tenantId)) ?? this.tx.manager.create(TenantIntegration, { tenantId });
  }

  saveIntegration(row: TenantIntegration): Promise<TenantIntegration> {
    return this.tx.manager.save(row);
  }
}
