import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Access, ACCESS_KEY, AppConfig, RequestContext } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UserCredentialsService } from '@portico/users';
import type { Request, Response } from 'express';
import { ApiTokensService } from './api-tokens.service';
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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [context.getHandler(), context.getClass()]);
    if (!access) throw new ForbiddenException('This route declares no access policy');
    if (access === 'public') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (access === 'console') {
      req.portico = await this.fromSession(req);
      return true;
    }
    req.portico = await this.fromAuthorization(req, context.switchToHttp().getResponse<Response>(), access);
    return true;
  }

  private async fromSession(req: Request): Promise<RequestContext> {
    const session = req.session;
    const userId = session?.userId;
    const started = session?.authenticatedAt ?? 0;
    const absoluteMs = this.config.sessionAbsoluteHours * 3_600_000;
    if (userId && Date.now() - started < absoluteMs) {
      const account = await this.credentials.findById(userId);
      if (account && account.isPlatformAdmin && account.status === 'active') {
        return new RequestContext({ kind: 'platform-admin', id: account.id, label: account.email }, null, req.ip ?? null, String(req.id ?? ''));
      }
    }
    if (userId) await new Promise<void>((done) => session.destroy(() => done()));
    throw new UnauthorizedException('Please sign in to the console');
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
        if (access !== 'tenant') throw new ForbiddenException('Only platform administrators may call this route');
        return new RequestContext({ kind: 'tenant', id: keyId!, label: `tenant:${tenant.key}/${keyId}`, tenantId: tenant.id, tenantKey: tenant.key }, tenant.id, ip, requestId);
      }
    }
    res.setHeader('WWW-Authenticate', access === 'tenant' ? 'Basic realm="portico", charset="UTF-8"' : 'Bearer realm="portico"');
    throw new UnauthorizedException(
      access === 'tenant'
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
