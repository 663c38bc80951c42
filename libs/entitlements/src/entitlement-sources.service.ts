import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  Page,
  PageQueryDto,
  RequestContext,
  TransactionService,
  urlProblem,
} from '@portico/core';
import { CheckSettingsService } from './check/check-settings.service';
import { DelegationService } from './delegation/delegation.service';
import { EntitlementSourceDto, EntitlementSourceView } from './dto/entitlement-source.dto';
import { EntitlementSource } from './entities/entitlement-source.entity';
import { EntitlementsRepository } from './entitlements.repository';

/** Delegation sources: external services asked instead of the virtual keys. Platform admins only. */
@Injectable()
export class EntitlementSourcesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly settings: CheckSettingsService,
    private readonly delegation: DelegationService,
    private readonly repo: EntitlementsRepository,
  ) {}

  list(query: PageQueryDto): Promise<Page<EntitlementSourceView>> {
    return this.repo.listSources(query, (rows) => rows.map(toView));
  }

  async get(id: string): Promise<EntitlementSourceView> {
    return toView(await this.findOrFail(id));
  }

  async create(ctx: RequestContext, dto: EntitlementSourceDto): Promise<EntitlementSourceView> {
    const fields = checked(dto);
    return this.write(dto, () =>
      this.tx.run(async () => {
        const source = await this.repo.createSource(fields);
        await this.audit.record(ctx, {
          action: 'entitlement_source.created',
          targetType: 'entitlement_source',
          targetId: source.id,
          details: describe(source),
        });
        return toView(source);
      }),
    );
  }

  async update(ctx: RequestContext, id: string, dto: EntitlementSourceDto): Promise<EntitlementSourceView> {
    const fields = checked(dto);
    return this.write(dto, () =>
      this.tx.run(async () => {
        const source = await this.findOrFail(id);
        Object.assign(source, fields);
        await this.repo.saveSource(source);
        await this.audit.record(ctx, {
          action: 'entitlement_source.updated',
          targetType: 'entitlement_source',
          targetId: source.id,
          details: describe(source),
        });
        return toView(source);
      }),
    );
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.write(null, () =>
      this.tx.run(async () => {
        const source = await this.findOrFail(id);
        await this.repo.deleteSource(id);
        await this.audit.record(ctx, {
          action: 'entitlement_source.deleted',
          targetType: 'entitlement_source',
          targetId: id,
          details: describe(source),
        });
      }),
    );
  }

  private async write<T>(dto: EntitlementSourceDto | null, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (dto && isUniqueViolation(err)) {
        throw new ConflictError(
          `Server ${dto.server} already has a source for ${dto.className ? `class “${dto.className}”` : 'every class'}`,
        );
      }
      throw err;
    } finally {
      this.settings.invalidate();
      this.delegation.forget();
    }
  }

  private async findOrFail(id: string): Promise<EntitlementSource> {
    const source = await this.repo.findSource(id);
    if (!source) throw new NotFoundError('Entitlement source');
    return source;
  }
}

/** The source's fields, after the same URL policy every outbound call follows. */
function checked(dto: EntitlementSourceDto): Omit<EntitlementSource, 'id' | 'createdAt' | 'updatedAt'> {
  const allowPrivateNetwork = dto.allowPrivateNetwork ?? false;
  let url: URL;
  try {
    url = new URL(dto.url);
  } catch {
    throw new InvalidInputError('url must be an absolute URL such as https://crm.example.com/entitlements');
  }
  const problem = urlProblem(url, { allowHttp: allowPrivateNetwork, allowPrivateNetwork });
  if (problem)
    throw new InvalidInputError(
      `url: ${problem}${url.protocol === 'http:' ? ' (plain http:// is allowed only for a source marked allowPrivateNetwork)' : ''}`,
    );
  if (url.hash) throw new InvalidInputError('url must not have a #fragment');
  return {
    server: dto.server,
    className: dto.className ?? null,
    url: url.toString(),
    cacheSeconds: dto.cacheSeconds ?? 60,
    timeoutMs: dto.timeoutMs ?? 3000,
    allowPrivateNetwork,
  };
}

// The URL's host only: a query string may carry a token.
function describe(s: EntitlementSource): Record<string, unknown> {
  return { server: s.server, className: s.className, host: safeHost(s.url), allowPrivateNetwork: s.allowPrivateNetwork };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function toView(s: EntitlementSource): EntitlementSourceView {
  return {
    id: s.id,
    server: s.server,
    className: s.className,
    url: s.url,
    cacheSeconds: s.cacheSeconds,
    timeoutMs: s.timeoutMs,
    allowPrivateNetwork: s.allowPrivateNetwork,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
