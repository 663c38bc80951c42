import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  containsPattern,
  ForbiddenError,
  InvalidInputError,
  isUniqueViolation,
  LIKE_ESCAPE,
  NotFoundError,
  Page,
  pageWindow,
  RequestContext,
  tenantWhere,
  TransactionService,
} from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import { EntityManager, In } from 'typeorm';
import {
  CreateVirtualEntitlementDto,
  UpdateVirtualEntitlementDto,
  VirtualEntitlementQueryDto,
  VirtualEntitlementView,
} from './dto/virtual-entitlement.dto';
import { EntitlementClass } from './entities/entitlement-class.entity';
import { VirtualEntitlement } from './entities/virtual-entitlement.entity';

export const KEY_TAKEN = 'This key is already mapped to this class';

/**
 * Virtual entitlements: customer keys mapped onto a class. A tenant API key manages its own
 * tenant's keys only; platform admins see all. Nothing is cached: the check reads the row.
 */
@Injectable()
export class VirtualEntitlementsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
  ) {}

  async list(ctx: RequestContext, query: VirtualEntitlementQueryDto): Promise<Page<VirtualEntitlementView>> {
    const qb = this.tx.manager.createQueryBuilder(VirtualEntitlement, 'v').orderBy('v.key', 'ASC').addOrderBy('v.id', 'ASC');
    const { take, skip } = pageWindow(query);
    if (!ctx.isPlatformAdmin) {
      if (query.tenantKey && (ctx.actor.kind !== 'tenant' || query.tenantKey !== ctx.actor.tenantKey)) {
        throw new ForbiddenError('A tenant API key can only list its own tenant');
      }
      if (ctx.tenantId) qb.andWhere('v.tenant_id = :tid', { tid: ctx.tenantId });
      else qb.andWhere('v.tenant_id IS NULL');
    } else if (query.tenantKey) {
      const tenant = await this.tenants.findByKey(query.tenantKey);
      if (!tenant) return { items: [], total: 0, limit: take, offset: skip };
      qb.andWhere('v.tenant_id = :tid', { tid: tenant.id });
    }
    if (query.search) qb.andWhere(`LOWER(v.key) LIKE :s ${LIKE_ESCAPE}`, { s: containsPattern(query.search) });
    if (query.classId) qb.andWhere('v.class_id = :cid', { cid: query.classId });
    if (query.status) qb.andWhere('v.status = :status', { status: query.status });
    if (query.organizationId) qb.andWhere('v.organization_id = :oid', { oid: query.organizationId });
    const [rows, total] = await qb.take(take).skip(skip).getManyAndCount();
    return { items: await this.views(rows), total, limit: take, offset: skip };
  }

  async get(ctx: RequestContext, id: string): Promise<VirtualEntitlementView> {
    return (await this.views([await this.findOrFail(this.tx.manager, ctx, id)]))[0];
  }

  async create(ctx: RequestContext, dto: CreateVirtualEntitlementDto): Promise<VirtualEntitlementView> {
    const owner = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    await this.checkOrganization(ctx, owner?.id ?? null, dto.organizationId ?? null);
    return this.keyUnique(() =>
      this.tx.run(async (m) => {
        await this.classOrFail(m, dto.classId);
        const entry = m.create(VirtualEntitlement, {
          tenantId: owner?.id ?? null,
          key: dto.key,
          classId: dto.classId,
          status: dto.status ?? 'active',
          expiresAt: dto.expiresAt ?? null,
          organizationId: dto.organizationId ?? null,
        });
        await m.save(entry);
        await this.audit.record(m, ctx, {
          action: 'virtual_entitlement.created',
          targetType: 'virtual_entitlement',
          targetId: entry.id,
          tenant: owner,
          details: { key: entry.key, classId: entry.classId, status: entry.status },
        });
        return (await this.views([entry], m))[0];
      }),
    );
  }

  async update(ctx: RequestContext, id: string, dto: UpdateVirtualEntitlementDto): Promise<VirtualEntitlementView> {
    return this.keyUnique(() =>
      this.tx.run(async (m) => {
        const entry = await this.findOrFail(m, ctx, id);
        if (dto.organizationId !== undefined) await this.checkOrganization(ctx, entry.tenantId, dto.organizationId);
        if (dto.classId !== undefined) await this.classOrFail(m, dto.classId);
        const changed: string[] = [];
        const set = <K extends 'key' | 'classId' | 'status' | 'expiresAt' | 'organizationId'>(field: K, value: VirtualEntitlement[K]) => {
          const same =
            value instanceof Date && entry[field] instanceof Date
              ? value.getTime() === (entry[field] as Date).getTime()
              : entry[field] === value;
          if (!same) {
            entry[field] = value;
            changed.push(field);
          }
        };
        if (dto.key !== undefined) set('key', dto.key);
        if (dto.classId !== undefined) set('classId', dto.classId);
        if (dto.status !== undefined) set('status', dto.status);
        if (dto.expiresAt !== undefined) set('expiresAt', dto.expiresAt);
        if (dto.organizationId !== undefined) set('organizationId', dto.organizationId);
        if (changed.length) {
          await m.save(entry);
          const action =
            changed.length === 1 && changed[0] === 'status'
              ? entry.status === 'suspended'
                ? 'virtual_entitlement.suspended'
                : 'virtual_entitlement.resumed'
              : 'virtual_entitlement.updated';
          await this.audit.record(m, ctx, {
            action,
            targetType: 'virtual_entitlement',
            targetId: entry.id,
            tenant: await this.tenantOf(entry),
            details: { key: entry.key, changed },
          });
        }
        return (await this.views([entry], m))[0];
      }),
    );
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async (m) => {
      const entry = await this.findOrFail(m, ctx, id);
      await m.delete(VirtualEntitlement, { id: entry.id });
      await this.audit.record(m, ctx, {
        action: 'virtual_entitlement.deleted',
        targetType: 'virtual_entitlement',
        targetId: entry.id,
        tenant: await this.tenantOf(entry),
        details: { key: entry.key, classId: entry.classId },
      });
    });
  }

  /** The organization must be one the caller may see, in the same tenant as the key (or both direct). */
  async checkOrganization(ctx: RequestContext, tenantId: string | null, organizationId: string | null): Promise<void> {
    if (!organizationId) return;
    const org = await this.organizations.find(ctx, organizationId);
    if (!org) throw new InvalidInputError('organizationId does not name an organization');
    if (org.tenantId !== tenantId) throw new InvalidInputError('organizationId names an organization of another tenant');
  }

  private async keyUnique<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(KEY_TAKEN);
      throw err;
    }
  }

  private async classOrFail(m: EntityManager, classId: string): Promise<EntitlementClass> {
    const cls = await m.findOneBy(EntitlementClass, { id: classId });
    if (!cls) throw new InvalidInputError('classId does not name an entitlement class');
    return cls;
  }

  private async findOrFail(m: EntityManager, ctx: RequestContext, id: string): Promise<VirtualEntitlement> {
    const entry = await m.findOneBy(VirtualEntitlement, { id, ...tenantWhere(ctx) });
    if (!entry) throw new NotFoundError('Virtual entitlement');
    return entry;
  }

  private async tenantOf(entry: VirtualEntitlement): Promise<TenantRef | null> {
    return entry.tenantId ? this.tenants.findById(entry.tenantId) : null;
  }

  private async views(rows: VirtualEntitlement[], m: EntityManager = this.tx.manager): Promise<VirtualEntitlementView[]> {
    const classIds = [...new Set(rows.map((r) => r.classId))];
    const classes = new Map((classIds.length ? await m.findBy(EntitlementClass, { id: In(classIds) }) : []).map((c) => [c.id, c]));
    const tenants = await this.tenants.findByIds(rows.map((r) => r.tenantId).filter((id): id is string => !!id));
    const now = Date.now();
    return rows.map((v) => ({
      id: v.id,
      key: v.key,
      classId: v.classId,
      className: classes.get(v.classId)?.name ?? '',
      server: classes.get(v.classId)?.server ?? '',
      status: v.status,
      expiresAt: v.expiresAt,
      expired: !!v.expiresAt && v.expiresAt.getTime() <= now,
      organizationId: v.organizationId,
      tenantKey: v.tenantId ? (tenants.get(v.tenantId)?.key ?? null) : null,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
    }));
  }
}
