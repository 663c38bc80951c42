import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { RequestContext } from '../context/request-context';
import { ForbiddenError } from '../errors/domain.exception';
import { type Page, type PageQueryDto, pageWindow } from '../pagination/pagination';

/** Whose rows a list may show: the caller's, and the tenant a platform admin asked for. */
export interface ListScope {
  /** The tenant column of the query's main alias, e.g. `u.tenant_id`; omit for rows no tenant owns. */
  tenantColumn?: string;
  /** `?tenantKey=` as the caller sent it: a tenant caller may only name itself. */
  tenantKey?: string;
  /** How a platform admin's `tenantKey` becomes a tenant id (null: no such tenant, so an empty page). */
  resolveTenant?: (key: string) => Promise<string | null>;
}

/**
 * The one way a repository answers a list (product.md §10): confined to the caller's tenant (a
 * tenant key or a user sees its own tenant's rows, a direct customer those without one; a platform
 * admin all, or the tenant it names), then paged and counted. The repository adds its own filters
 * and order to `qb` before calling; `map` turns the page's rows into what the caller answers.
 */
export async function scopedList<E extends ObjectLiteral, T>(
  ctx: RequestContext,
  qb: SelectQueryBuilder<E>,
  query: PageQueryDto,
  scope: ListScope,
  map: (rows: E[]) => T[] | Promise<T[]>,
): Promise<Page<T>> {
  const { take, skip } = pageWindow(query);
  const empty = { items: [], total: 0, limit: take, offset: skip };
  if (scope.tenantColumn) {
    const column = scope.tenantColumn;
    if (!ctx.isPlatformAdmin) {
      if (scope.tenantKey !== undefined && (ctx.actor.kind !== 'tenant' || scope.tenantKey !== ctx.actor.tenantKey)) {
        throw new ForbiddenError('A tenant API key can only list its own tenant');
      }
      if (ctx.tenantId) qb.andWhere(`${column} = :scopeTenantId`, { scopeTenantId: ctx.tenantId });
      else qb.andWhere(`${column} IS NULL`);
    } else if (scope.tenantKey !== undefined) {
      if (!scope.resolveTenant) throw new Error('scopedList: a tenantKey filter needs resolveTenant');
      const tenantId = await scope.resolveTenant(scope.tenantKey);
      if (!tenantId) return empty;
      qb.andWhere(`${column} = :scopeTenantId`, { scopeTenantId: tenantId });
    }
  }
  const [rows, total] = await qb.take(take).skip(skip).getManyAndCount();
  return { items: await map(rows), total, limit: take, offset: skip };
}
