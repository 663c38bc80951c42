import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { AppConfig } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UserCredentialsService } from '@portico/users';
import type { Request, Response } from 'express';
import { from, Observable, switchMap } from 'rxjs';
import { framingPolicy } from '../security-headers';
import { rememberSignInPage } from './sign-in-page';

/**
 * Lets a tenant's portal frame the pages served in that tenant's context (its sign-in and sign-up
 * pages, the autologin landing, its users' account pages): `frame-ancestors` lists the tenant's
 * embed origins instead of 'none', and X-Frame-Options (which cannot name origins) is dropped. Over
 * HTTPS the session cookie becomes SameSite=None, so the browser sends it inside the portal's frame.
 */
@Injectable()
export class TenantFraming {
  constructor(
    private readonly tenants: TenantsService,
    private readonly config: AppConfig,
  ) {}

  async apply(req: Request, res: Response, tenantId: string): Promise<void> {
    // Read on every tenant page, like the other tenant settings: a change applies on the next request.
    const origins = await this.tenants.embedOrigins(tenantId);
    if (!origins.length) return;
    res.setHeader('Content-Security-Policy', framingPolicy(origins));
    res.removeHeader('X-Frame-Options');
    // SameSite=None is only honoured with Secure, which needs PUBLIC_URL on https.
    if (this.config.secureCookies && req.session) req.session.cookie.sameSite = 'none';
  }
}

/** TenantFraming for a controller's routes: the tenant is the one in the path, or the signed-in (or half signed-in) user's. */
@Injectable()
export class TenantFramingInterceptor implements NestInterceptor {
  constructor(
    private readonly framing: TenantFraming,
    private readonly tenants: TenantsService,
    private readonly credentials: UserCredentialsService,
    private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    return from(this.prepare(req, res)).pipe(switchMap(() => next.handle()));
  }

  private async prepare(req: Request, res: Response): Promise<void> {
    const id = await this.tenantOf(req);
    if (id) await this.framing.apply(req, res, id);
    // A signed-in user's page: after their session ends, a form sends them to their tenant's sign-in page.
    if (req.portico?.actor.kind === 'user')
      rememberSignInPage(req, res, id ? ((await this.tenants.findById(id))?.key ?? null) : null, this.config.secureCookies);
  }

  private async tenantOf(req: Request): Promise<string | null> {
    const key = req.params?.tenantKey;
    if (typeof key === 'string') return (await this.tenants.findByKey(key))?.id ?? null;
    if (req.portico?.actor.kind === 'user') return req.portico.tenantId;
    const pending = req.session?.pending?.userId;
    return pending ? ((await this.credentials.findById(pending))?.tenantId ?? null) : null;
  }
}
