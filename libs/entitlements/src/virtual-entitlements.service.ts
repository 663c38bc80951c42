import { Injectable } from '@nestjs/common';
import {
  AuditService,
  Clock,
  ConflictError,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  Page,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import {
  CreateVirtualEntitlementDto,
  UpdateVirtualEntitlementDto,
  VirtualEntitlementQueryDto,
  VirtualEntitlementView,
} from './dto/virtual-entitlement.dto';
import { EntitlementClass } from './entities/entitlement-class.entity';
import { VirtualEntitlement } from './entities/virtual-entitlement.entity';
import { EntitlementsRepository } from './entitlements.repository';

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
    private readonly repo: EntitlementsRepository,
    private readonly clock: Clock,
  ) {}

  list(ctx: RequestContext, query: VirtualEntitlementQueryDto): Promise<Page<VirtualEntitlementView>> {
    return this.repo.listVirtual(ctx, query, (rows) => this.views(rows));
  }

  async get(ctx: RequestContext, id: string): Promise<VirtualEntitlementView> {
    return (await this.views([await this.findOrFail(ctx, id)]))[0];
  }

  async create(ctx: RequestContext, dto: CreateVirtualEntitlementDto): Promise<VirtualEntitlementView> {
    const owner = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    await this.checkOrganization(ctx, owner?.id ?? null, dto.organizationId ?? null);
    return this.keyUnique(() =>
      this.tx.run(async () => {
        await this.classOrFail(dto.classId);
        const entry = await this.repo.createVirtual({
          tenantId: owner?.id ?? null,
          key: dto.key,
          classId: dto.classId,
          status: dto.status ?? 'active',
          expiresAt: dto.expiresAt ?? null,
          organizationId: dto.organizationId ?? null,
        });
        await this.audit.record(ctx, {
          action: 'virtual_entitlement.created',
          targetType: 'virtual_entitlement',
          targetId: entry.id,
          tenant: owner,
          details: { key: entry.key, classId: entry.classId, status: entry.status },
        });
        return (await this.views([entry]))[0];
      }),
    );
  }

  async update(ctx: RequestContext, id: string, dto: UpdateVirtualEntitlementDto): Promise<VirtualEntitlementView> {
    return this.keyUnique(() =>
      this.tx.run(async () => {
        const entry = await this.findOrFail(ctx, id);
        if (dto.organizationId !== undefined) await this.checkOrganization(ctx, entry.tenantId, dto.organizationId);
        if (dto.classId !== undefined) await this.classOrFail(dto.classId);
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
          await this.repo.saveVirtual(entry);
          const action =
            changed.length === 1 && changed[0] === 'status'
              ? entry.status === 'suspended'
                ? 'virtual_entitlement.suspended'
                : 'virtual_entitlement.resumed'
              : 'virtual_entitlement.updated';
          await this.audit.record(ctx, {
            action,
            targetType: 'virtual_entitlement',
            targetId: entry.id,
            tenant: await this.tenantOf(entry),
            details: { key: entry.key, changed },
          });
        }
        return (await this.views([entry]))[0];
      }),
    );
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async () => {
      const entry = await this.findOrFail(ctx, id);
      await this.repo.deleteVirtual(entry.id);
      await this.audit.record(ctx, {
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

  private async classOrFail(classId: string): Promise<EntitlementClass> {
    const cls = await this.repo.findClass(classId);
    if (!cls) throw new InvalidInputError('classId does not name an entitlement class');
    return cls;
  }

  private async findOrFail(ctx: RequestContext, id: string): Promise<VirtualEntitlement> {
    const entry = await this.repo.findVirtual(ctx, id);
    if (!entry) throw new NotFoundError('Virtual entitlement');
    return entry;
  }

  private async tenantOf(entry: VirtualEntitlement): Promise<TenantRef | null> {
    return entry.tenantId ? this.tenants.findById(entry.tenantId) : null;
  }

  private async views(rows: VirtualEntitlement[]): Promise<VirtualEntitlementView[]> {
    const classes = new Map((await this.repo.classesByIds([...new Set(rows.map((r) => r.classId))])).map((c) => [c.id, c]));
    const tenants = await this.tenants.findByIds(rows.map((r) => r.tenantId).filter((id): id is string => !!id));
    const now = this.clock.nowMs();
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
