import { Injectable } from '@nestjs/common';
import { Page, RequestContext, scopedList, TransactionService } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { IdentityLinkQueryDto } from './dto/identity-link.dto';
import { IdentityLink, LinkedEntityType } from './entities/identity-link.entity';
import type { LinkKey } from './identity-map.service';

/** Every query of the identity map, in the ambient transaction. */
@Injectable()
export class IdentityMapRepository {
  constructor(
    private readonly tx: TransactionService,
    private readonly tenants: TenantsService,
  ) {}

  /** The caller's links (a platform admin: all, or the tenant it names), filtered and paged. */
  list<T>(ctx: RequestContext, query: IdentityLinkQueryDto, map: (rows: IdentityLink[]) => Promise<T[]>): Promise<Page<T>> {
    const qb = this.tx.manager
      .createQueryBuilder(IdentityLink, 'l')
      .orderBy('l.provider', 'ASC')
      .addOrderBy('l.entity_type', 'ASC')
      .addOrderBy('l.foreign_id', 'ASC')
      .addOrderBy('l.id', 'ASC');
    if (query.provider) qb.andWhere('l.provider = :provider', { provider: query.provider });
    if (query.entityType) qb.andWhere('l.entity_type = :type', { type: query.entityType });
    if (query.localId) qb.andWhere('l.local_id = :local', { local: query.localId.toLowerCase() });
    if (query.foreignId) qb.andWhere('l.foreign_id = :foreign', { foreign: query.foreignId });
    const resolveTenant = async (key: string) => (await this.tenants.findByKey(key))?.id ?? null;
    return scopedList(ctx, qb, query, { tenantColumn: 'l.tenant_id', tenantKey: query.tenantKey, resolveTenant }, map);
  }

  /** A link by id, within `tenantId` (null: any tenant, for a platform admin). */
  find(id: string, tenantId: string | null): Promise<IdentityLink | null> {
    return this.tx.manager.findOneBy(IdentityLink, { id, ...(tenantId ? { tenantId } : {}) });
  }

  findByForeignId(key: LinkKey, foreignId: string): Promise<IdentityLink | null> {
    return this.tx.manager.findOneBy(IdentityLink, { ...key, foreignId });
  }

  findByLocalId(key: LinkKey, localId: string): Promise<IdentityLink | null> {
    return this.tx.manager.findOneBy(IdentityLink, { ...key, localId });
  }

  /** Inserts a link; the database's unique constraints refuse a second link on either side. */
  async insert(fields: LinkKey & { localId: string; foreignId: string }): Promise<IdentityLink> {
    const m = this.tx.manager;
    const row = m.create(IdentityLink, fields);
    await m.insert(IdentityLink, row as QueryDeepPartialEntity<IdentityLink>);
    return row;
  }

  create(fields: LinkKey & { localId: string; foreignId: string }): Promise<IdentityLink> {
    const m = this.tx.manager;
    return m.save(m.create(IdentityLink, fields));
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(IdentityLink, { id });
  }

  /** Removes every link of a local record; idempotent. */
  async deleteLocal(tenantId: string, entityType: LinkedEntityType, localId: string): Promise<void> {
    await this.tx.manager.delete(IdentityLink, { tenantId, entityType, localId });
  }

  /** Removes the link of a foreign id; true when there was one. */
  async deleteByForeignId(key: LinkKey, foreignId: string): Promise<boolean> {
    const result = await this.tx.manager.delete(IdentityLink, { ...key, foreignId });
    return (result.affected ?? 0) > 0;
  }
}
