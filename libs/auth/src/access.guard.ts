import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Access, ACCESS_KEY, AppConfig, RequestContext, WireError } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
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

  private readonly accessByHandler = new WeakMap<object, Map<object, Access | undefined>>();

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.accessOf(context);
    if (!access) throw new ForbiddenException('This route declares no access policy');
    if (access === 'public') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const found = this.contextFor(req, res, access);
    if (found instanceof RequestContext) return this.admit(req, res, found);
    return found.then((ctx) => this.admit(req, res, ctx));
  }

  /** The caller is known: a tenant's key calling the JSON API is counted against the tenant's rate limit first. */
  private admit(req: Request, res: Response, ctx: RequestContext): boolean | Promise<boolean> {
    req.portico = ctx;
    if (ctx.actor.kind !== 'tenant' || !req.url.startsWith('/api/v1/')) return true;
    return this.tenants.enforceRateLimit(ctx.actor.tenantId, res).then(() => true);
  }

  /** The route's declared access (method over controller), read once per route. */
  private accessOf(context: ExecutionContext): Access | undefined {
    const handler = context.getHandler();
    const controller = context.getClass();
    let perController = this.accessByHandler.get(handler);
    if (!perController) this.accessByHandler.set(handler, (perController = new Map()));
    if (!perController.has(controller))
      perController.set(controller, this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [handler, controller]));
    return perController.get(controller);
  }

  /**
   * The caller's RequestContext. A tenant API key this instance verified moments ago is answered
   * at once, without waiting on anything: that is most of the API's traffic. Everything else looks
   * something up first.
   */
  private contextFor(req: Request, res: Response, access: Access): RequestContext | Promise<RequestContext> {
    if (access === 'console' || access === 'user') return this.fromSession(req, access);
    if (access === 'optional-tenant' && !req.headers.authorization) return RequestContext.anonymous(addressOf(req), String(req.id ?? ''));
    if (access === 'tenant-keyed') return this.fromTenantKey(req, res);
    return this.fromAuthorization(req, res, access);
  }

  /** /t/{tenantKey}/…: the key must be one of that tenant's; another tenant's valid key is refused alike. */
  private async fromTenantKey(req: Request, res: Response): Promise<RequestContext> {
    const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
    const pathKey = req.params?.tenantKey;
    if (scheme?.toLowerCase() === 'basic' && value && typeof pathKey === 'string') {
      const [keyId, secret] = decodeBasic(value);
      const tenant = keyId && secret ? await this.tenants.verifyApiKey(keyId, secret) : null;
      if (tenant && tenant.key === pathKey) return this.tenantContext(req, keyId!, tenant);
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
      // The sessions page shows where a session was last used from; a changed address is saved in
      // place of the touch this request makes anyway. A session older than that record gets one now.
      if (!session.device) session.device = { userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512), ip: req.ip ?? null };
      else if (req.ip && session.device.ip !== req.ip) session.device.ip = req.ip;
      const ip = addressOf(req);
      const requestId = String(req.id ?? '');
      if (access === 'user')
        return new RequestContext(
          { kind: 'user', id: account.id, label: account.email, tenantId: account.tenantId },
          account.tenantId,
          ip,
          requestId,
        );
      // requireAuthenticatorForAdmins: the sign-in sent this admin to set one up; the console waits.
      if (account.isPlatformAdmin && session.authenticatorRequired)
        throw new ForbiddenException('Set up an authenticator app before using the console: open /account/authenticator.');
      if (account.isPlatformAdmin)
        return new RequestContext({ kind: 'platform-admin', id: account.id, label: account.email }, null, ip, requestId);
      throw new ForbiddenException('The console is for platform administrators');
    }
    // Past the absolute timeout, or the account was disabled or deleted: the session ends here.
    if (userId) await new Promise<void>((done) => session.destroy(() => done()));
    throw new UnauthorizedException(access === 'console' ? 'Please sign in to the console' : 'Please sign in');
  }

  private fromAuthorization(req: Request, res: Response, access: Access): RequestContext | Promise<RequestContext> {
    const [scheme, value = ''] = (req.headers.authorization ?? '').split(' ', 2);
    const kind = scheme?.toLowerCase();
    if (kind === 'bearer' && value) {
      return this.tokens.verify(value.trim()).then((token) => {
        if (!token) return this.refuse(res, access);
        return new RequestContext(
          { kind: 'platform-admin', id: token.id, label: `api-token:${token.name}` },
          null,
          addressOf(req),
          String(req.id ?? ''),
        );
      });
    }
    const [keyId, secret] = kind === 'basic' && value ? decodeBasic(value) : [null, null];
    if (!keyId || !secret) return this.refuse(res, access);
    const asTenant = (tenant: TenantRef | null): RequestContext => {
      if (!tenant) return this.refuse(res, access);
      if (access === 'admin') throw new ForbiddenException('Only platform administrators may call this route');
      return this.tenantContext(req, keyId, tenant);
    };
    const known = this.tenants.verifyKnownApiKey(keyId, secret);
    return known !== undefined ? asTenant(known) : this.tenants.verifyApiKey(keyId, secret).then(asTenant);
  }

  /** A partner portal calling with one of its tenant's API keys. */
  private tenantContext(req: Request, keyId: string, tenant: TenantRef): RequestContext {
    return new RequestContext(
      { kind: 'tenant', id: keyId, label: `tenant:${tenant.key}/${keyId}`, tenantId: tenant.id, tenantKey: tenant.key },
      tenant.id,
      addressOf(req),
      String(req.id ?? ''),
    );
  }

  private refuse(res: Response, access: Access): never {
    const tenantRoute = access === 'tenant' || access === 'optional-tenant';
    res.setHeader('WWW-Authenticate', tenantRoute ? 'Basic realm="portico", charset="UTF-8"' : 'Bearer realm="portico"');
    throw new UnauthorizedException(
      tenantRoute
        ? 'Missing or invalid credentials: send a platform-admin Bearer token or a tenant API key as HTTP Basic keyId:secret'
        : 'Missing or invalid credentials: send a platform-admin token as Authorization: Bearer <token>',
    );
  }
}

/** The caller's address for a RequestContext, worked out only if something reads it (behind proxies that parses X-Forwarded-For). */
function addressOf(req: Request): () => string | null {
  return () => req.ip ?? null;
}

function decodeBasic(value: string): [string | null, string | null] {
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return [null, null];
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}
