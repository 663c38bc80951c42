import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  isForeignKeyViolation,
  isUniqueViolation,
  NotFoundError,
  Page,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { EntitlementClassDto, EntitlementClassQueryDto, EntitlementClassView } from './dto/entitlement-class.dto';
import { EntitlementClass } from './entities/entitlement-class.entity';
import { EntitlementsRepository } from './entitlements.repository';

/** Entitlement classes: products on repository servers and their real keys. Platform admins only. */
@Injectable()
export class EntitlementClassesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly repo: EntitlementsRepository,
  ) {}

  list(query: EntitlementClassQueryDto): Promise<Page<EntitlementClassView>> {
    return this.repo.listClasses(query, (rows) => rows.map(toView));
  }

  /** Every class, for choosers (there are few). */
  async all(): Promise<EntitlementClassView[]> {
    return (await this.repo.allClasses()).map(toView);
  }

  async get(id: string): Promise<EntitlementClassView> {
    return toView(await this.findOrFail(id));
  }

  /** How many virtual keys map onto each class. */
  virtualCounts(): Promise<Map<string, number>> {
    return this.repo.virtualCountsByClass();
  }

  async create(ctx: RequestContext, dto: EntitlementClassDto): Promise<EntitlementClassView> {
    return this.unique(dto, () =>
      this.tx.run(async () => {
        const cls = await this.repo.createClass({ name: dto.name, server: dto.server, realKey: dto.realKey });
        await this.audit.record(ctx, {
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
      this.tx.run(async () => {
        const cls = await this.findOrFail(id);
        const changed = (['name', 'server', 'realKey'] as const).filter((f) => cls[f] !== dto[f]);
        if (changed.length) {
          Object.assign(cls, { name: dto.name, server: dto.server, realKey: dto.realKey });
          await this.repo.saveClass(cls);
          // Names of the changed fields only: the real key is a credential.
          await this.audit.record(ctx, {
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
      await this.tx.run(async () => {
        const cls = await this.findOrFail(id);
        const used = await this.repo.countVirtualOfClass(id);
        if (used) throw new ConflictError(`${used} virtual key(s) still map onto class “${cls.name}”: delete them first`);
        await this.repo.deleteClass(id);
        await this.audit.record(ctx, {
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

  private async findOrFail(id: string): Promise<EntitlementClass> {
    const cls = await this.repo.findClass(id);
    if (!cls) throw new NotFoundError('Entitlement class');
    return cls;
  }
}

function toView(c: EntitlementClass): EntitlementClassView {
  return { id: c.id, name: c.name, server: c.server, realKey: c.realKey, createdAt: c.createdAt, updatedAt: c.updatedAt };
}
