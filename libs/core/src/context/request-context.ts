import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { FindOperator, IsNull } from 'typeorm';

export type Actor =
  | { kind: 'platform-admin'; id: string; label: string }
  | { kind: 'tenant'; id: string; label: string; tenantId: string; tenantKey: string }
  | { kind: 'user'; id: string; label: string; tenantId: string | null }
  | { kind: 'system'; id: 'system'; label: string }
  | { kind: 'anonymous'; id: 'anonymous'; label: string };

/**
 * Who is calling and for which tenant. Every service method that touches tenant data takes it
 * first and filters by `tenantId` in the query: `null` means "all tenants" and is only ever
 * given to platform admins and the system.
 */
/** A caller's address, or a function giving it on first use. */
type Address = string | null | (() => string | null);

export class RequestContext {
  private address: Address;

  /** `ip` may be given as a function: it runs on first use (behind trusted proxies it parses X-Forwarded-For, which most requests never need). */
  constructor(
    readonly actor: Actor,
    readonly tenantId: string | null,
    ip: Address = null,
    readonly requestId: string | null = null,
  ) {
    this.address = ip;
  }

  /** The caller's address, as Express reads it under the `trust proxy` setting; null for Portico itself. */
  get ip(): string | null {
    if (typeof this.address === 'function') this.address = this.address();
    return this.address;
  }

  static anonymous(ip: Address, requestId: string | null = null): RequestContext {
    return new RequestContext({ kind: 'anonymous', id: 'anonymous', label: 'anonymous' }, null, ip, requestId);
  }

  /** Portico acting by itself (a sign-in, a job), optionally for one tenant and a caller's address. */
  static system(label = 'system', tenantId: string | null = null, ip: string | null = null): RequestContext {
    return new RequestContext({ kind: 'system', id: 'system', label }, tenantId, ip);
  }

  get isPlatformAdmin(): boolean {
    return this.actor.kind === 'platform-admin' || this.actor.kind === 'system';
  }
}

/**
 * The where-clause fragment that confines a query to the caller's tenant. Platform admins and the
 * system get no filter; everyone else gets their tenant, or "no tenant" (IsNull, never a bare
 * null, which TypeORM would drop) for direct customers.
 */
export function tenantWhere(ctx: RequestContext): { tenantId?: string | FindOperator<string> } {
  if (ctx.isPlatformAdmin) return {};
  return { tenantId: ctx.tenantId ?? (IsNull() as FindOperator<string>) };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      portico?: RequestContext;
    }
  }
}

export const Ctx = createParamDecorator((_data: unknown, host: ExecutionContext): RequestContext => {
  const req = host.switchToHttp().getRequest<Request>();
  if (!req.portico) throw new Error('RequestContext missing: the route has no authentication guard');
  return req.portico;
});
