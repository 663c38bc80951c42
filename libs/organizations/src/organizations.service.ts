import { Injectable } from '@nestjs/common';
import {
  AuditService,
  duplicateError,
  ForbiddenError,
  InvalidInputError,
  isForeignKeyViolation,
  isUniqueViolation,
  NotFoundError,
  OutboxService,
  Page,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { CreateOrganizationDto, OrganizationQueryDto, OrganizationView, UpdateOrganizationDto } from './dto/organization.dto';
import { Organization } from './entities/organization.entity';
import { organizationEventData } from './organization-events';
import { OrganizationsRepository } from './organizations.repository';

/** What other modules may know of an organization. */
export interface OrganizationRef {
  id: string;
  siteId: number;
  name: string;
  tenantId: string | null;
  externalUid: string | null;
  authMode: Organization['authMode'];
  externalLoginProviderId: string | null;
}

/** An organization with a plan, as a billing run reads it. */
export interface PlannedOrganization {
  id: string;
  tenantId: string | null;
  name: string;
  externalUid: string | null;
  plan: { priceCents: number; currency: string };
}

const DUPLICATE = 'An organization with that name or externalUid already exists in this tenant';
const duplicateOrganization = (err: unknown) =>
  duplicateError(err, { one: 'An organization', many: 'organizations' }, { name: 'name', external_uid: 'externalUid' }, DUPLICATE);
// The database refuses a provider id that names no provider (a foreign key), so no check can race it.
const NO_SUCH_PROVIDER = 'externalLoginProviderId does not name an external login provider';

/** The organizations facade: customer accounts ("sites"), scoped to the caller's tenant. */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly outbox: OutboxService,
  ) {}

  list(ctx: RequestContext, query: OrganizationQueryDto): Promise<Page<OrganizationView>> {
    return this.organizations.list(ctx, query, async (rows) => {
      const tenants = await this.tenants.findByIds(rows.map((o) => o.tenantId).filter((id): id is string => !!id));
      return rows.map((o) => toView(o, tenantKeyOf(o, tenants)));
    });
  }

  async get(ctx: RequestContext, id: string): Promise<OrganizationView> {
    const org = await this.findOrFail(ctx, id);
    return toView(org, await this.tenantKey(org.tenantId));
  }

  /** For other modules: the organization if the caller may see it, else null. */
  async find(ctx: RequestContext, id: string): Promise<OrganizationRef | null> {
    const org = await this.organizations.find(ctx, id);
    return org ? toRef(org) : null;
  }

  /** For other modules: the organization with this site ID if the caller may see it, else null. */
  async findBySiteId(ctx: RequestContext, siteId: number): Promise<OrganizationRef | null> {
    if (!Number.isSafeInteger(siteId)) return null;
    const org = await this.organizations.findBySiteId(ctx, siteId);
    return org ? toRef(org) : null;
  }

  /** For other modules: the caller's organization with exactly this name, else null. */
  async findByName(ctx: RequestContext, name: string): Promise<OrganizationRef | null> {
    if (ctx.isPlatformAdmin) throw new ForbiddenError('findByName needs a tenant context');
    const org = await this.organizations.findByName(ctx, name.trim());
    return org ? toRef(org) : null;
  }

  /** For other modules: a tenant's organization with this external uid (the tenant's group uid), or null. */
  async findByExternalUid(ctx: RequestContext, tenantId: string, externalUid: string): Promise<OrganizationRef | null> {
    const org = await this.organizations.findByExternalUid(ctx, tenantId, externalUid);
    return org ? toRef(org) : null;
  }

  async findMany(ctx: RequestContext, ids: string[]): Promise<OrganizationRef[]> {
    if (!ids.length) return [];
    return (await this.organizations.findMany(ctx, ids)).map(toRef);
  }

  /** The organizations assigned to an external login provider, by name (the first `limit`). */
  async withLoginProvider(ctx: RequestContext, providerId: string, limit = 200): Promise<OrganizationRef[]> {
    return (await this.organizations.withLoginProvider(ctx, providerId, limit)).map(toRef);
  }

  /** How many organizations each of these external login providers is assigned to (absent: none). */
  async countByLoginProvider(ctx: RequestContext, providerIds: string[]): Promise<Map<string, number>> {
    return providerIds.length ? this.organizations.countByLoginProvider(ctx, providerIds) : new Map();
  }

  /**
   * For other modules: the organizations of one tenant (null: direct customers) whose externalUid is
   * one of these, compared case-insensitively (a directory's group names are).
   */
  async findByExternalUids(ctx: RequestContext, tenantId: string | null, externalUids: string[]): Promise<OrganizationRef[]> {
    const uids = [...new Set(externalUids.map((u) => u.toLowerCase()))];
    if (!uids.length) return [];
    return (await this.organizations.findByExternalUids(ctx, tenantId, uids)).map(toRef);
  }

  /**
   * Organizations with a plan, in id order after `afterId` (keyset pages: a billing run walks
   * 100,000 of them without holding more than one page).
   */
  async withPlanPage(ctx: RequestContext, afterId: string | null, limit: number): Promise<PlannedOrganization[]> {
    return (await this.organizations.withPlanPage(ctx, afterId, limit)).map((o) => ({
      id: o.id,
      tenantId: o.tenantId,
      name: o.name,
      externalUid: o.externalUid,
      plan: { priceCents: o.planPriceCents!, currency: o.planCurrency! },
    }));
  }

  countWithPlan(ctx: RequestContext): Promise<number> {
    return this.organizations.countWithPlan(ctx);
  }

  async create(ctx: RequestContext, dto: CreateOrganizationDto): Promise<OrganizationView> {
    const tenant = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    checkAuthMode(dto.authMode ?? 'portico', dto.externalLoginProviderId ?? null);
    try {
      return await this.tx.run(async () => {
        const org = await this.organizations.create({
          tenantId: tenant?.id ?? null,
          name: dto.name.trim(),
          externalUid: dto.externalUid ?? null,
          authMode: dto.authMode ?? 'portico',
          externalLoginProviderId: dto.externalLoginProviderId ?? null,
          planPriceCents: dto.plan?.priceCents ?? null,
          planCurrency: dto.plan?.currency ?? null,
        });
        await this.audit.record(ctx, {
          action: 'organization.created',
          targetType: 'organization',
          targetId: org.id,
          tenant,
          details: { name: org.name, siteId: org.siteId },
        });
        await this.outbox.emit('organization.created', org.tenantId, { organization: organizationEventData(org, tenant?.key ?? null) });
        return toView(org, tenant?.key ?? null);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateOrganization(err);
      if (isForeignKeyViolation(err)) throw new InvalidInputError(NO_SUCH_PROVIDER);
      throw err;
    }
  }

  async update(ctx: RequestContext, id: string, dto: UpdateOrganizationDto): Promise<OrganizationView> {
    try {
      return await this.tx.run(async () => {
        const org = await this.findOrFail(ctx, id);
        const changed: string[] = [];
        const set = <K extends keyof Organization>(key: K, value: Organization[K]) => {
          if (org[key] !== value) {
            org[key] = value;
            changed.push(String(key));
          }
        };
        if (dto.name !== undefined) set('name', dto.name.trim());
        if (dto.externalUid !== undefined) set('externalUid', dto.externalUid);
        if (dto.authMode !== undefined) set('authMode', dto.authMode);
        if (dto.externalLoginProviderId !== undefined) set('externalLoginProviderId', dto.externalLoginProviderId);
        if (dto.plan !== undefined) {
          set('planPriceCents', dto.plan?.priceCents ?? null);
          set('planCurrency', dto.plan?.currency ?? null);
        }
        checkAuthMode(org.authMode, org.externalLoginProviderId);
        const tenant = org.tenantId ? await this.tenants.findById(org.tenantId) : null;
        if (changed.length) {
          await this.organizations.save(org);
          await this.audit.record(ctx, {
            action: 'organization.updated',
            targetType: 'organization',
            targetId: org.id,
            tenant,
            details: { changed },
          });
          await this.outbox.emit('organization.updated', org.tenantId, {
            organization: organizationEventData(org, tenant?.key ?? null),
            changed,
          });
        }
        return toView(org, tenant?.key ?? null);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateOrganization(err);
      if (isForeignKeyViolation(err)) throw new InvalidInputError(NO_SUCH_PROVIDER);
      throw err;
    }
  }

  /** Deletes the organization; its memberships go with it (database cascade). */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async () => {
      const org = await this.findOrFail(ctx, id);
      await this.organizations.delete(org.id);
      const tenant = org.tenantId ? await this.tenants.findById(org.tenantId) : null;
      await this.audit.record(ctx, {
        action: 'organization.deleted',
        targetType: 'organization',
        targetId: org.id,
        tenant,
        details: { name: org.name, siteId: org.siteId },
      });
      await this.outbox.emit('organization.deleted', org.tenantId, { organization: organizationEventData(org, tenant?.key ?? null) });
    });
  }

  private async findOrFail(ctx: RequestContext, id: string): Promise<Organization> {
    const org = await this.organizations.find(ctx, id);
    if (!org) throw new NotFoundError('Organization');
    return org;
  }

  private async tenantKey(tenantId: string | null): Promise<string | null> {
    return tenantId ? ((await this.tenants.findById(tenantId))?.key ?? null) : null;
  }
}

function checkAuthMode(mode: string, providerId: string | null): void {
  if (mode === 'external' && !providerId) {
    throw new InvalidInputError('externalLoginProviderId is required when authMode is external');
  }
}

function tenantKeyOf(o: Organization, tenants: Map<string, TenantRef>): string | null {
  return o.tenantId ? (tenants.get(o.tenantId)?.key ?? null) : null;
}

function toRef(o: Organization): OrganizationRef {
  return {
    id: o.id,
    siteId: o.siteId,
    name: o.name,
    tenantId: o.tenantId,
    externalUid: o.externalUid,
    authMode: o.authMode,
    externalLoginProviderId: o.externalLoginProviderId,
  };
}

function toView(o: Organization, tenantKey: string | null): OrganizationView {
  return {
    id: o.id,
    siteId: o.siteId,
    name: o.name,
    tenantKey,
    externalUid: o.externalUid,
    authMode: o.authMode,
    externalLoginProviderId: o.externalLoginProviderId,
    plan: o.planPriceCents !== null && o.planCurrency ? { priceCents: o.planPriceCents, currency: o.planCurrency } : null,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}
