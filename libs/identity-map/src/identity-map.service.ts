import { Injectable } from '@nestjs/common';
import {
  AuditService,
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
import { UsersService } from '@portico/users';
import { CreateIdentityLinkDto, IdentityLinkKeyDto, IdentityLinkQueryDto, IdentityLinkView } from './dto/identity-link.dto';
import { IdentityLink, LinkedEntityType } from './entities/identity-link.entity';
import { IdentityMapRepository } from './identity-map.repository';

/**
 * Providers Portico itself records links for. `portal`: the tenant's own user and group uids
 * (autologin, sign-up, account webhooks, data-sharing notifications); `saml`: NameIDs from the
 * tenant's IdP; `ldap`: entries of a tenant's directory. Tenants may record others through the API.
 */
export type KnownProvider = 'portal' | 'saml' | 'ldap';

export interface LinkKey {
  tenantId: string;
  provider: string;
  entityType: LinkedEntityType;
}

export interface IdentityLinkRef extends LinkKey {
  id: string;
  localId: string;
  foreignId: string;
  createdAt: Date;
}

/**
 * The identity map: one service through which every module records and resolves a tenant's
 * foreign ids. Writes join the caller's transaction, so a link lands with the record it names.
 */
@Injectable()
export class IdentityMapService {
  constructor(
    private readonly tx: TransactionService,
    private readonly links: IdentityMapRepository,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
  ) {}

  /** The Portico id a foreign id names, or null. */
  async resolve(key: LinkKey, foreignId: string): Promise<string | null> {
    const row = await this.links.findByForeignId(key, foreignId);
    return row?.localId ?? null;
  }

  /** The foreign id recorded for a Portico record, or null. */
  async foreignIdOf(key: LinkKey, localId: string): Promise<string | null> {
    const row = await this.links.findByLocalId(key, localId);
    return row?.foreignId ?? null;
  }

  /**
   * Records that `foreignId` names `localId`. Linking the same pair again changes nothing; a foreign
   * id already naming another record (or a record already carrying another foreign id) is a conflict,
   * decided by the database's unique constraints so concurrent callers cannot both win.
   */
  async link(key: LinkKey, localId: string, foreignId: string): Promise<IdentityLinkRef> {
    const existing = await this.links.findByForeignId(key, foreignId);
    if (existing) {
      if (existing.localId !== localId) throw linkConflict(key, foreignId);
      return toRef(existing);
    }
    try {
      return toRef(await this.links.insert({ ...key, localId, foreignId }));
    } catch (err) {
      if (isUniqueViolation(err)) throw linkConflict(key, foreignId);
      throw err;
    }
  }

  /** Removes the links of a Portico record (all providers), e.g. when the record is deleted. */
  async forgetLocal(tenantId: string, entityType: LinkedEntityType, localId: string): Promise<void> {
    await this.links.deleteLocal(tenantId, entityType, localId);
  }

  /** Removes one link by its foreign id; true when there was one. */
  unlink(key: LinkKey, foreignId: string): Promise<boolean> {
    return this.links.deleteByForeignId(key, foreignId);
  }

  // The /api/v1/identity-links API and the console: the caller's own tenant, or any for a platform admin.

  list(ctx: RequestContext, query: IdentityLinkQueryDto): Promise<Page<IdentityLinkView>> {
    return this.links.list(ctx, query, async (rows) => {
      const keys = await this.tenants.findByIds(rows.map((r) => r.tenantId));
      return rows.map((r) => toView(r, keys.get(r.tenantId)?.key ?? ''));
    });
  }

  /** Records a link by hand. The local record must be one of the tenant's; either side already linked is a 409. */
  async create(ctx: RequestContext, dto: CreateIdentityLinkDto): Promise<IdentityLinkView> {
    const tenant = await this.owner(ctx, dto.tenantKey);
    const localId = dto.localId.toLowerCase();
    if (!(await this.namesTenantRecord(ctx, tenant, dto.entityType, localId)))
      throw new InvalidInputError(
        `localId does not name a${dto.entityType === 'user' ? ' user' : 'n organization'} of tenant "${tenant.key}"`,
      );
    try {
      return await this.tx.run(async () => {
        const row = await this.links.create({
          tenantId: tenant.id,
          provider: dto.provider,
          entityType: dto.entityType,
          localId,
          foreignId: dto.foreignId,
        });
        await this.audit.record(ctx, {
          action: 'identity_link.created',
          targetType: dto.entityType,
          targetId: localId,
          tenant,
          details: { provider: dto.provider, foreignId: dto.foreignId },
        });
        return toView(row, tenant.key);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(
          `The ${dto.provider} id "${dto.foreignId}" is already linked, or the ${dto.entityType} already has a ${dto.provider} id: delete that link first`,
        );
      throw err;
    }
  }

  /** One link by its id; `tenantKey` (the console's tenant page) must then be the link's tenant. */
  async get(ctx: RequestContext, id: string, tenantKey?: string): Promise<IdentityLinkView> {
    const row = await this.findOrFail(ctx, id, tenantKey);
    return toView(row, (await this.tenants.findById(row.tenantId))?.key ?? '');
  }

  /** Deletes a link by its id; `tenantKey` (the console's tenant page) must then be the link's tenant. */
  async remove(ctx: RequestContext, id: string, tenantKey?: string): Promise<void> {
    await this.removeRow(ctx, await this.findOrFail(ctx, id, tenantKey));
  }

  private async findOrFail(ctx: RequestContext, id: string, tenantKey?: string): Promise<IdentityLink> {
    const tenant = await this.scope(ctx, tenantKey);
    const row = tenant === undefined ? null : await this.links.find(id, tenant?.id ?? null);
    if (!row) throw new NotFoundError('Identity link');
    return row;
  }

  /** Deletes the link a foreign id names. */
  async removeByKey(ctx: RequestContext, key: IdentityLinkKeyDto): Promise<void> {
    const tenant = await this.owner(ctx, key.tenantKey);
    const row = await this.links.findByForeignId(
      { tenantId: tenant.id, provider: key.provider, entityType: key.entityType },
      key.foreignId,
    );
    if (!row) throw new NotFoundError('Identity link');
    await this.removeRow(ctx, row);
  }

  private async removeRow(ctx: RequestContext, row: IdentityLink): Promise<void> {
    const tenant = await this.tenants.findById(row.tenantId);
    await this.tx.run(async () => {
      await this.links.delete(row.id);
      await this.audit.record(ctx, {
        action: 'identity_link.deleted',
        targetType: row.entityType,
        targetId: row.localId,
        tenant,
        details: { provider: row.provider, foreignId: row.foreignId },
      });
    });
  }

  /**
   * Which tenant's links the caller sees: its own (a tenant key), the one named (a platform admin),
   * null for all of them (a platform admin naming none), undefined when the named tenant does not exist.
   */
  private async scope(ctx: RequestContext, tenantKey: string | undefined): Promise<TenantRef | null | undefined> {
    if (!ctx.isPlatformAdmin) return this.tenants.resolveOwner(ctx, tenantKey);
    if (!tenantKey) return null;
    return (await this.tenants.findByKey(tenantKey)) ?? undefined;
  }

  /** The tenant a new link belongs to: links always belong to one. */
  private async owner(ctx: RequestContext, tenantKey: string | undefined): Promise<TenantRef> {
    const tenant = await this.tenants.resolveOwner(ctx, tenantKey);
    if (!tenant) throw new InvalidInputError('tenantKey is required: an identity link belongs to a tenant');
    return tenant;
  }

  private async namesTenantRecord(ctx: RequestContext, tenant: TenantRef, type: LinkedEntityType, id: string): Promise<boolean> {
    if (type === 'user') return (await this.users.find(ctx, id))?.tenantId === tenant.id;
    return (await this.organizations.find(ctx, id))?.tenantId === tenant.id;
  }
}

function linkConflict(key: LinkKey, foreignId: string): ConflictError {
  return new ConflictError(
    `The ${key.provider} id "${foreignId}" or the ${key.entityType} is already linked to another record in this tenant`,
  );
}

function toView(row: IdentityLink, tenantKey: string): IdentityLinkView {
  return {
    id: row.id,
    tenantKey,
    provider: row.provider,
    entityType: row.entityType,
    localId: row.localId,
    foreignId: row.foreignId,
    createdAt: row.createdAt,
  };
}

function toRef(row: IdentityLink): IdentityLinkRef {
  return {
    id: row.id,
    tenantId: row.tenantId,
    provider: row.provider,
    entityType: row.entityType,
    localId: row.localId,
    foreignId: row.foreignId,
    createdAt: row.createdAt,
  };
}
