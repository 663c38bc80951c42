import { Injectable } from '@nestjs/common';
import {
  containsPattern,
  findRows,
  LIKE_ESCAPE,
  nextCounterValue,
  Page,
  RequestContext,
  scopedList,
  tenantWhere,
  TransactionService,
} from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { OrganizationQueryDto } from './dto/organization.dto';
import { Organization } from './entities/organization.entity';

const SITE_ID_COUNTER = 'organizations.site_id';

/** Every query of the organizations domain, confined to the caller's tenant, in the ambient transaction. */
@Injectable()
export class OrganizationsRepository {
  constructor(
    private readonly tx: TransactionService,
    private readonly tenants: TenantsService,
  ) {}

  list<T>(ctx: RequestContext, query: OrganizationQueryDto, map: (rows: Organization[]) => Promise<T[]>): Promise<Page<T>> {
    const qb = this.tx.manager.createQueryBuilder(Organization, 'o').orderBy('o.name', 'ASC').addOrderBy('o.id', 'ASC');
    if (query.search) qb.andWhere(`LOWER(o.name) LIKE :s ${LIKE_ESCAPE}`, { s: containsPattern(query.search) });
    if (query.externalUid) qb.andWhere('o.external_uid = :uid', { uid: query.externalUid });
    const resolveTenant = async (key: string) => (await this.tenants.findByKey(key))?.id ?? null;
    return scopedList(ctx, qb, query, { tenantColumn: 'o.tenant_id', tenantKey: query.tenantKey, resolveTenant }, map);
  }

  find(ctx: RequestContext, id: string): Promise<Organization | null> {
    return this.tx.manager.findOneBy(Organization, { id, ...tenantWhere(ctx) });
  }

  findBySiteId(ctx: RequestContext, siteId: number): Promise<Organization | null> {
    return this.tx.manager.findOneBy(Organization, { siteId, ...tenantWhere(ctx) });
  }

  findByName(ctx: RequestContext, name: string): Promise<Organization | null> {
    return this.tx.manager.findOneBy(Organization, { name, ...tenantWhere(ctx) });
  }

  /** A tenant's organization by external uid; null when the caller may not see that tenant. */
  async findByExternalUid(ctx: RequestContext, tenantId: string, externalUid: string): Promise<Organization | null> {
    if (!mayRead(ctx, tenantId)) return null;
    return this.tx.manager.findOneBy(Organization, { tenantId, externalUid });
  }

  /** Those of `ids` the caller may see. */
  findMany(ctx: RequestContext, ids: string[]): Promise<Organization[]> {
    // A plain statement: null there means IS NULL, so a direct customer sees only direct customers' rows.
    return findRows(this.tx.manager, Organization, ctx.isPlatformAdmin ? { id: ids } : { id: ids, tenantId: ctx.tenantId });
  }

  /** Organizations the caller may see that are assigned to an external login provider, by name. */
  withLoginProvider(ctx: RequestContext, providerId: string, limit: number): Promise<Organization[]> {
    return this.tx.manager.find(Organization, {
      where: { externalLoginProviderId: providerId, ...tenantWhere(ctx) },
      order: { name: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  /** How many organizations the caller may see each of these external login providers is assigned to. */
  async countByLoginProvider(ctx: RequestContext, providerIds: string[]): Promise<Map<string, number>> {
    const qb = this.tx.manager
      .createQueryBuilder(Organization, 'o')
      .select('o.external_login_provider_id', 'providerId')
      .addSelect('COUNT(*)', 'count')
      .where('o.external_login_provider_id IN (:...ids)', { ids: providerIds })
      .groupBy('o.external_login_provider_id');
    if (!ctx.isPlatformAdmin) qb.andWhere(ctx.tenantId ? 'o.tenant_id = :tenantId' : 'o.tenant_id IS NULL', { tenantId: ctx.tenantId });
    const rows = await qb.getRawMany<{ providerId: string; count: string | number }>();
    return new Map(rows.map((r) => [r.providerId, Number(r.count)]));
  }

  /** One tenant's (null: direct customers) organizations whose lowercased external uid is one of `uids`. */
  async findByExternalUids(ctx: RequestContext, tenantId: string | null, uids: string[]): Promise<Organization[]> {
    if (!mayRead(ctx, tenantId)) return [];
    const qb = this.tx.manager.createQueryBuilder(Organization, 'o').where('LOWER(o.external_uid) IN (:...uids)', { uids });
    if (tenantId) qb.andWhere('o.tenant_id = :tid', { tid: tenantId });
    else qb.andWhere('o.tenant_id IS NULL');
    return qb.getMany();
  }

  /** Organizations with a plan, in id order after `afterId` (keyset pages). */
  withPlanPage(ctx: RequestContext, afterId: string | null, limit: number): Promise<Organization[]> {
    const qb = this.withPlan(ctx)
      .select(['o.id', 'o.tenantId', 'o.name', 'o.externalUid', 'o.planPriceCents', 'o.planCurrency'])
      .orderBy('o.id', 'ASC')
      .limit(limit);
    if (afterId) qb.andWhere('o.id > :afterId', { afterId });
    return qb.getMany();
  }

  countWithPlan(ctx: RequestContext): Promise<number> {
    return this.withPlan(ctx).getCount();
  }

  /** Inserts an organization with the next site ID. */
  async create(fields: Omit<Partial<Organization>, 'siteId'>): Promise<Organization> {
    const m = this.tx.manager;
    return m.save(m.create(Organization, { ...fields, siteId: await nextCounterValue(m, SITE_ID_COUNTER) }));
  }

  save(org: Organization): Promise<Organization> {
    return this.tx.manager.save(org);
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(Organization, { id });
  }

  private withPlan(ctx: RequestContext) {
    const qb = this.tx.manager
      .createQueryBuilder(Organization, 'o')
      .where('o.plan_price_cents IS NOT NULL')
      .andWhere('o.plan_currency IS NOT NULL');
    if (!ctx.isPlatformAdmin) {
      if (ctx.tenantId) qb.andWhere('o.tenant_id = :tid', { tid: ctx.tenantId });
      else qb.andWhere('o.tenant_id IS NULL');
    }
    return qb;
  }
}

function mayRead(ctx: RequestContext, tenantId: string | null): boolean {
  return ctx.isPlatformAdmin || ctx.tenantId === tenantId;
}
