import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Access, ACCESS_KEY, AppConfig, RequestContext, WireError } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UserCredentialsService } from '@portico/users';
import type { Request, Response } from 'express';
import { ApiTokensService } from './api-tokens.service';
import { AuthSettingsService } from './settings/auth-settings.service';
import './session/session-data';

/**
 * The one gate in front of every route: it reads the route's declared access and turns the
 * caller's credentials into a RequestContext. API routes accept only the Authorization header
 * (never a cookie, so they need no CSRF token); console pages accept only the session cookie.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokensService,
    private readonly tenants: TenantsService,
    private readonly credentials: UserCredentialsService,
    private readonly config: AppConfig,
    private readonly settings: AuthSettingsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (!access) throw new ForbiddenException('This route declares no access policy');
    if (access === 'public') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (access === 'console' || access === 'user') {
      req.portico = await this.fromSession(req, access);
      return true;
    }
    if (access === 'optional-tenant' && !req.headers.authorization) {
      req.portico = RequestContext.anonymous(req.ip ?? null, String(req.id ?? ''));
      return true;
    }
    if (access === 'tenant-keyed') {
      req.portico = await this.fromTenantKey(req, context.switchToHttp().getResponse<Response>());
      return true;
    }
    req.portico = await this.fromAuthorization(req, context.switchToHttp().getResponse<Response>(), access);
    return true;
  }

  /** /t/{tenantKey}/…: the key must be one of that tenant's; another tenant's valid key is refused alike. */
  private async fromTenantKey(req: Request, res: Response): Promise<RequestContext> {
    const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
    const pathKey = req.params?.tenantKey;
    if (scheme?.toLowerCase() === 'basic' && value && typeof pathKey === 'string') {
      const [keyId, secret] = decodeBasic(value);
      const tenant = keyId && secret ? await this.tenants.verifyApiKey(keyId, secret) : null;
      if (tenant && tenant.key === pathKey)
        return new RequestContext(
          { kind: 'tenant', id: keyId!, label: `tenant:${tenant.key}/${keyId}`, tenantId: tenant.id, tenantKey: tenant.key },
          tenant.id,
          req.ip ?? null,
          String(req.id ?? ''),
        );
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="portico", charset="UTF-8"');
    throw new WireError(401, { error: 'Invalid credentials' });
  }

  /** A signed-in browser: the console wants a platform admin, account pages any active user. */
  private async fromSession(req: Request, access: 'console' | 'user'): Promise<RequestContext> {
    const session = req.session;
    const userId = session?.userId;
    const fresh = Date.now() - (session?.authenticatedAt ?? 0) < this.config.sessionAbsoluteHours * 3_600_000;
    const account = userId && fresh ? await this.credentials.findById(userId) : null;
    if (account && account.status === 'active') {
      // The idle timeout follows Global Configuration › Authentication from the next request on.
      session.cookie.maxAge = (await this.settings.effective(account.tenantId)).sessionIdleMinutes * 60_000;
      const ip = req.ip ?? null;
      const requestId = String(req.id ?? '');
      if (access === 'user')
        return new RequestContext(
          { kind: 'user', id: account.id, label: account.email, tenantId: account.tenantId },
          account.tenantId,
          ip,
          requestId,
        );
      if (account.isPlatformAdmin)
        return new RequestContext({ kind: 'platform-admin', id: account.id, label: account.email }, null, ip, requestId);
      throw new ForbiddenException('The console is for platform administrators');
    }
    // Past the absolute timeout, or the account was disabled or deleted: the session ends here.
    if (userId) await new Promise<void>((done) => session.destroy(() => done()));
    throw new UnauthorizedException(access === 'console' ? 'Please sign in to the console' : 'Please sign in');
  }

  private async fromAuthorization(req: Request, res: Response, access: Access): Promise<RequestContext> {
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    const ip = req.ip ?? null;
    const requestId = String(req.id ?? '');
    if (scheme?.toLowerCase() === 'bearer' && value) {
      const token = await this.tokens.verify(value.trim());
      if (token) return new RequestContext({ kind: 'platform-admin', id: token.id, label: `api-token:${token.name}` }, null, ip, requestId);
    } else if (scheme?.toLowerCase() === 'basic' && value) {
      const [keyId, secret] = decodeBasic(value);
      const tenant = keyId && secret ? await this.tenants.verifyApiKey(keyId, secret) : null;
      if (tenant) {
        if (access === 'admin') throw new ForbiddenException('Only platform administrators may call this route');
        return new RequestContext(
          { kind: 'tenant', id: keyId!, label: `tenant:${tenant.key}/${keyId}`, tenantId: tenant.id, tenantKey: tenant.key },
          tenant.id,
          ip,
          requestId,
        );
      }
    }
    const tenantRoute = access === 'tenant' || access === 'optional-tenant';
    res.setHeader('WWW-Authenticate', tenantRoute ? 'Basic realm="portico", charset="UTF-8"' : 'Bearer realm="portico"');
    throw new UnauthorizedException(
      tenantRoute
        ? 'Missing or invalid credentials: send a platform-admin Bearer token or a tenant API key as HTTP Basic keyId:secret'
        : 'Missing or invalid credentials: send a platform-admin token as Authorization: Bearer <token>',
    );
  }
}

function decodeBasic(value: string): [string | null, string | null] {
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return [null, null];
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}
