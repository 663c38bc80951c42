import { Injectable } from '@nestjs/common';
import { RequestContext } from '@portico/core';
import type { TenantRef } from '@portico/tenants';
import { PutTenantOidcDto, TenantOidcView } from './dto/tenant-oidc.dto';
import { CallbackInput, OidcCallbackOutcome, OidcStartOutcome, TenantOidcLogin } from './login/tenant-oidc-login';
import { TenantOidcConnections } from './tenant-oidc-connections';

/** The tenant OpenID Connect facade: each tenant's provider (configuration API and console) and its sign-ins. */
@Injectable()
export class TenantOidcService {
  constructor(
    private readonly connections: TenantOidcConnections,
    private readonly login: TenantOidcLogin,
  ) {}

  get(key: string): Promise<TenantOidcView> {
    return this.connections.view(key);
  }

  put(ctx: RequestContext, key: string, dto: PutTenantOidcDto): Promise<TenantOidcView> {
    return this.connections.put(ctx, key, dto);
  }

  delete(ctx: RequestContext, key: string): Promise<void> {
    return this.connections.delete(ctx, key);
  }

  /** Portico's public key for the tenant's private_key_jwt client authentication, as a JWKS (null: no such tenant). */
  clientJwks(key: string): Promise<{ keys: Record<string, unknown>[] } | null> {
    return this.connections.clientJwks(key);
  }

  /** The tenant's sign-in button ("Sign in with {name}"), when the connection and the method are on. */
  offersSignIn(tenant: TenantRef): Promise<{ href: string; name: string } | null> {
    return this.login.offered(tenant);
  }

  startLogin(key: string, next: string | undefined): Promise<OidcStartOutcome> {
    return this.login.start(key, next);
  }

  startTest(key: string): Promise<OidcStartOutcome> {
    return this.login.startTest(key);
  }

  callback(key: string, input: CallbackInput): Promise<OidcCallbackOutcome> {
    return this.login.callback(key, input);
  }
}
