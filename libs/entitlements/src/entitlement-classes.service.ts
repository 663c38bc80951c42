import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  containsPattern,
  isForeignKeyViolation,
  isUniqueViolation,
  LIKE_ESCAPE,
  NotFoundError,
  Page,
  pageWindow,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { EntityManager } from 'typeorm';
import { EntitlementClassDto, EntitlementClassQueryDto, EntitlementClassView } from './dto/entitlement-class.dto';
import { EntitlementClass } from './entities/entitlement-class.entity';
import { VirtualEntitlement } from './entities/virtual-entitlement.entity';

/** Entitlement classes: products on repository servers and their real keys. Platform admins only. */
@Injectable()
export class EntitlementClassesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
  ) {}

  async list(query: EntitlementClassQueryDto): Promise<Page<EntitlementClassView>> {
    const qb = this.tx.manager.createQueryBuilder(EntitlementClass, 'c').orderBy('c.server', 'ASC').addOrderBy('c.name', 'ASC');
    if (query.search) {
      qb.where(`(LOWER(c.name) LIKE :s ${LIKE_ESCAPE} OR LOWER(c.server) LIKE :s ${LIKE_ESCAPE})`, { s: containsPattern(query.search) });
    }
    const { take, skip } = pageWindow(query);
    const [rows, total] = await qb.take(take).skip(skip).getManyAndCount();
    return { items: rows.map(toView), total, limit: take, offset: skip };
  }

  /** Every class, for choosers (there are few). */
  async all(): Promise<EntitlementClassView[]> {
    return (await this.tx.manager.find(EntitlementClass, { order: { server: 'ASC', name: 'ASC' } })).map(toView);
  }

  async get(id: string): Promise<EntitlementClassView> {
    return toView(await this.findOrFail(this.tx.manager, id));
  }

  /** How many virtual keys map onto each class. */
  async virtualCounts(): Promise<Map<string, number>> {
    const rows: { classId: string; count: string | number }[] = await this.tx.manager
      .createQueryBuilder(VirtualEntitlement, 'v')
      .select('v.classId', 'classId')
      .addSelect('COUNT(*)', 'count')
      .groupBy('v.classId')
      .getRawMany();
    return new Map(rows.map((r) => [r.classId, Number(r.count)]));
  }

  async create(ctx: RequestContext, dto: EntitlementClassDto): Promise<EntitlementClassView> {
    return this.unique(dto, () =>
      this.tx.run(async (m) => {
        const cls = await m.save(m.create(EntitlementClass, { name: dto.name, server: dto.server, realKey: dto.realKey }));
        await this.audit.record(m, ctx, {
          action: 'entitlement_class.created',
          targetType: 'entitlement_class',
          targetId: cls.id,
          details: { name: cls.name, server: cls.server },
        });
        return toView(cls);
      }),
    );
  }

  async update(ctx: RequestContext, id: string, dto: EntitlementClassDto): Promise<EntitlementClassView> {
    return this.unique(dto, () =>
      this.tx.run(async (m) => {
        const cls = await this.findOrFail(m, id);
        const changed = (['name', 'server', 'realKey'] as const).filter((f) => cls[f] !== dto[f]);
        if (changed.length) {
          Object.assign(cls, { name: dto.name, server: dto.server, realKey: dto.realKey });
          await m.save(cls);
          // Names of the changed fields only: the real key is a credential.
          await this.audit.record(m, ctx, {
            action: 'entitlement_class.updated',
            targetType: 'entitlement_class',
            targetId: cls.id,
            details: { name: cls.name, server: cls.server, changed },
          });
        }
        return toView(cls);
      }),
    );
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    try {
      await this.tx.run(async (m) => {
        const cls = await this.findOrFail(m, id);
        const used = await m.countBy(VirtualEntitlement, { classId: id });
        if (used) throw new ConflictError(`${used} virtual key(s) still map onto class “${cls.name}”: delete them first`);
        await m.delete(EntitlementClass, { id });
        await this.audit.record(m, ctx, {
          action: 'entitlement_class.deleted',
          targetType: 'entitlement_class',
          targetId: id,
          details: { name: cls.name, server: cls.server },
        });
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw new ConflictError('Virtual keys still map onto this class: delete them first');
      throw err;
    }
  }

  private async unique<T>(dto: EntitlementClassDto, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`Server ${dto.server} already has a class named “${dto.name}”`);
      throw err;
    }
  }

  private async findOrFail(m: EntityManager, id: string): Promise<EntitlementClass> {
    const cls = await m.findOneBy(EntitlementClass, { id });
    if (!cls) throw new NotFoundError('Entitlement class');
    return cls;
  }
}

function toView(c: EntitlementClass): EntitlementClassView {
  return { id: c.id, name: c.name, server: c.server, realKey: c.realKey, createdAt: c.createdAt, updatedAt: c.updatedAt };
}
