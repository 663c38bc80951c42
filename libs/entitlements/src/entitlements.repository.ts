import { Injectable } from '@nestjs/common';
import {
  containsPattern,
  LIKE_ESCAPE,
  Page,
  PageQueryDto,
  RequestContext,
  scopedList,
  tenantWhere,
  TransactionService,
} from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { In } from 'typeorm';
import { EntitlementClassQueryDto } from './dto/entitlement-class.dto';
import { VirtualEntitlementQueryDto } from './dto/virtual-entitlement.dto';
import { EntitlementClass } from './entities/entitlement-class.entity';
import { EntitlementServerAccess } from './entities/entitlement-server-access.entity';
import { EntitlementSource } from './entities/entitlement-source.entity';
import { VirtualEntitlement } from './entities/virtual-entitlement.entity';

type Fields<T> = Omit<T, 'id' | 'createdAt' | 'updatedAt'>;
export type VirtualFields = Fields<VirtualEntitlement>;
export type VirtualChange = Partial<Pick<VirtualEntitlement, 'status' | 'expiresAt' | 'organizationId'>>;

// Classes and sources belong to no tenant, so a list of them does not depend on who asks.
const UNSCOPED = RequestContext.system();

// Keys per IN list: well under every driver's limit on bound values.
const CHUNK = 400;

/**
 * Every query of the entitlements domain but the check's key lookup (check/key-lookup.repository.ts)
 * and the decision log. Runs in the caller's transaction when there is one. Classes, sources and
 * allow-lists belong to no tenant; virtual keys are filtered by the caller's tenant here.
 */
@Injectable()
export class EntitlementsRepository {
  constructor(
    private readonly tx: TransactionService,
    private readonly tenants: TenantsService,
  ) {}

  // Classes

  listClasses<T>(query: EntitlementClassQueryDto, map: (rows: EntitlementClass[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager.createQueryBuilder(EntitlementClass, 'c').orderBy('c.server', 'ASC').addOrderBy('c.name', 'ASC');
    if (query.search) {
      qb.where(`(LOWER(c.name) LIKE :s ${LIKE_ESCAPE} OR LOWER(c.server) LIKE :s ${LIKE_ESCAPE})`, { s: containsPattern(query.search) });
    }
    return scopedList(UNSCOPED, qb, query, {}, map);
  }

  allClasses(): Promise<EntitlementClass[]> {
    return this.tx.manager.find(EntitlementClass, { order: { server: 'ASC', name: 'ASC' } });
  }

  /** Every class, unordered (the import matches names against them). */
  everyClass(): Promise<EntitlementClass[]> {
    return this.tx.manager.find(EntitlementClass);
  }

  findClass(id: string): Promise<EntitlementClass | null> {
    return this.tx.manager.findOneBy(EntitlementClass, { id });
  }

  async classesByIds(ids: string[]): Promise<EntitlementClass[]> {
    return ids.length ? this.tx.manager.findBy(EntitlementClass, { id: In(ids) }) : [];
  }

  createClass(fields: Fields<EntitlementClass>): Promise<EntitlementClass> {
    const m = this.tx.manager;
    return m.save(m.create(EntitlementClass, fields));
  }

  saveClass(cls: EntitlementClass): Promise<EntitlementClass> {
    return this.tx.manager.save(cls);
  }

  async deleteClass(id: string): Promise<void> {
    await this.tx.manager.delete(EntitlementClass, { id });
  }

  /** How many virtual keys map onto each class. */
  async virtualCountsByClass(): Promise<Map<string, number>> {
    const rows: { classId: string; count: string | number }[] = await this.tx.manager
      .createQueryBuilder(VirtualEntitlement, 'v')
      .select('v.classId', 'classId')
      .addSelect('COUNT(*)', 'count')
      .groupBy('v.classId')
      .getRawMany();
    return new Map(rows.map((r) => [r.classId, Number(r.count)]));
  }

  countVirtualOfClass(classId: string): Promise<number> {
    return this.tx.manager.countBy(VirtualEntitlement, { classId });
  }

  /** The servers classes and sources name. */
  async knownServers(): Promise<string[]> {
    const m = this.tx.manager;
    const [classes, sources] = await Promise.all([
      m.createQueryBuilder(EntitlementClass, 'c').select('DISTINCT c.server', 'server').getRawMany<{ server: string }>(),
      m.createQueryBuilder(EntitlementSource, 's').select('DISTINCT s.server', 'server').getRawMany<{ server: string }>(),
    ]);
    return [...classes, ...sources].map((r) => r.server);
  }

  // Virtual keys

  listVirtual<T>(
    ctx: RequestContext,
    query: VirtualEntitlementQueryDto,
    map: (rows: VirtualEntitlement[]) => Promise<T[]>,
  ): Promise<Page<T>> {
    const qb = this.tx.manager.createQueryBuilder(VirtualEntitlement, 'v').orderBy('v.key', 'ASC').addOrderBy('v.id', 'ASC');
    if (query.search) qb.andWhere(`LOWER(v.key) LIKE :s ${LIKE_ESCAPE}`, { s: containsPattern(query.search) });
    if (query.classId) qb.andWhere('v.class_id = :cid', { cid: query.classId });
    if (query.status) qb.andWhere('v.status = :status', { status: query.status });
    if (query.organizationId) qb.andWhere('v.organization_id = :oid', { oid: query.organizationId });
    return scopedList(
      ctx,
      qb,
      query,
      {
        tenantColumn: 'v.tenant_id',
        tenantKey: query.tenantKey,
        resolveTenant: async (key) => (await this.tenants.findByKey(key))?.id ?? null,
      },
      map,
    );
  }

  /** A key the caller may see. */
  findVirtual(ctx: RequestContext, id: string): Promise<VirtualEntitlement | null> {
    return this.tx.manager.findOneBy(VirtualEntitlement, { id, ...tenantWhere(ctx) });
  }

  /** Every owner's keys with one of these values (the import tells another owner's apart itself). */
  async virtualByKeys(keys: string[]): Promise<VirtualEntitlement[]> {
    const found: VirtualEntitlement[] = [];
    for (let i = 0; i < keys.length; i += CHUNK)
      found.push(...(await this.tx.manager.findBy(VirtualEntitlement, { key: In(keys.slice(i, i + CHUNK)) })));
    return found;
  }

  createVirtual(fields: VirtualFields): Promise<VirtualEntitlement> {
    const m = this.tx.manager;
    return m.save(m.create(VirtualEntitlement, fields));
  }

  saveVirtual(entry: VirtualEntitlement): Promise<VirtualEntitlement> {
    return this.tx.manager.save(entry);
  }

  async updateVirtual(id: string, change: VirtualChange): Promise<void> {
    await this.tx.manager.update(VirtualEntitlement, { id }, change);
  }

  async insertVirtual(rows: VirtualFields[]): Promise<void> {
    const m = this.tx.manager;
    for (let i = 0; i < rows.length; i += CHUNK)
      await m.insert(
        VirtualEntitlement,
        rows.slice(i, i + CHUNK).map((r) => m.create(VirtualEntitlement, r)),
      );
  }

  async deleteVirtual(id: string): Promise<void> {
    await this.tx.manager.delete(VirtualEntitlement, { id });
  }

  // Delegation sources

  listSources<T>(query: PageQueryDto, map: (rows: EntitlementSource[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager
      .createQueryBuilder(EntitlementSource, 's')
      .orderBy('s.server', 'ASC')
      .addOrderBy('s.className', 'ASC')
      .addOrderBy('s.id', 'ASC');
    return scopedList(UNSCOPED, qb, query, {}, map);
  }

  allSources(): Promise<EntitlementSource[]> {
    return this.tx.manager.find(EntitlementSource);
  }

  findSource(id: string): Promise<EntitlementSource | null> {
    return this.tx.manager.findOneBy(EntitlementSource, { id });
  }

  createSource(fields: Fields<EntitlementSource>): Promise<EntitlementSource> {
    const m = this.tx.manager;
    return m.save(m.create(EntitlementSource, fields));
  }

  saveSource(source: EntitlementSource): Promise<EntitlementSource> {
    return this.tx.manager.save(source);
  }

  async deleteSource(id: string): Promise<void> {
    await this.tx.manager.delete(EntitlementSource, { id });
  }

  // Caller allow-lists

  allServerAccess(): Promise<EntitlementServerAccess[]> {
    return this.tx.manager.find(EntitlementServerAccess, { order: { server: 'ASC' } });
  }

  findServerAccess(server: string): Promise<EntitlementServerAccess | null> {
    return this.tx.manager.findOneBy(EntitlementServerAccess, { server });
  }

  /** Sets a server's allow-list, creating its row if it has none. */
  async saveServerAccess(row: EntitlementServerAccess | null, server: string, allowedIps: string[]): Promise<void> {
    const m = this.tx.manager;
    await m.save(Object.assign(row ?? m.create(EntitlementServerAccess, { server }), { allowedIps }));
  }

  async deleteServerAccess(id: string): Promise<void> {
    await this.tx.manager.delete(EntitlementServerAccess, { id });
  }
}
