import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';
import { TenantRateLimits } from './tenant-rate-limits';

/**
 * Limits the JSON API per tenant for calls made with a tenant API key (after the access guard has
 * verified it); platform-admin tokens are not limited. Past the limit: 429 with Retry-After and
 * the RateLimit fields, which every limited answer carries.
 */
@Injectable()
export class TenantRateLimitInterceptor implements NestInterceptor {
  constructor(private readonly limits: TenantRateLimits) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const actor = req.portico?.actor;
    if (actor?.kind !== 'tenant' || !req.url.startsWith('/api/v1/')) return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    return from(this.limits.consume(actor.tenantId)).pipe(
      mergeMap((counted) => {
        if (counted) {
          counted.limiter.describe(res, counted.verdict);
          if (!counted.verdict.allowed) throw counted.limiter.refusal(counted.verdict);
        }
        return next.handle();
      }),
    );
  }
}
