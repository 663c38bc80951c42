import { Injectable } from '@nestjs/common';
import { RequestContext } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { MembershipsService, UserRef, UsersService } from '@portico/users';
import type { Account, AccountClaims } from 'oidc-provider';

/** What the provider needs to know of the client a user signs in to. */
export interface ClientScope {
  tenantId: string | null;
  /** The client's tenant as this request already read it (active), so it is not read again. */
  tenant?: TenantRef | null;
}

export type AccountRefusal = 'unknown' | 'disabled' | 'tenant-suspended' | 'other-tenant';

/**
 * People as the provider sees them: who may sign in to which client, and their claims, read through
 * the users, tenants and organizations facades at the moment a token or userinfo answer is made.
 */
@Injectable()
export class OidcAccounts {
  private readonly system = RequestContext.system('oidc');

  constructor(
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly memberships: MembershipsService,
  ) {}

  /** The user and their tenant when they may sign in to a client of `scope`; otherwise why not. */
  async check(userId: string, scope: ClientScope | null): Promise<{ user: UserRef; tenant: TenantRef | null } | AccountRefusal> {
    const user = await this.users.find(this.system, userId);
    if (!user) return 'unknown';
    if (user.status !== 'active') return 'disabled';
    const known = scope?.tenant && scope.tenant.id === user.tenantId ? scope.tenant : null;
    const tenant = user.tenantId ? (known ?? (await this.tenants.findById(user.tenantId))) : null;
    if (tenant && tenant.status !== 'active') return 'tenant-suspended';
    if (scope?.tenantId && user.tenantId !== scope.tenantId) return 'other-tenant';
    return { user, tenant };
  }

  /** The provider's account, or undefined (no token, no userinfo) when the user may not use this client now. */
  async find(userId: string, scope: ClientScope | null): Promise<Account | undefined> {
    const found = await this.check(userId, scope);
    if (typeof found === 'string') return undefined;
    const { user, tenant } = found;
    return {
      accountId: user.id,
      claims: async (use: string, scopes: string) => this.claims(user, tenant, new Set(scopes.split(' ')), use),
    };
  }

  private async claims(user: UserRef, tenant: TenantRef | null, scopes: Set<string>, use: string): Promise<AccountClaims> {
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
    const claims: AccountClaims = {
      sub: user.id,
      name: name || undefined,
      given_name: user.firstName || undefined,
      family_name: user.lastName || undefined,
      preferred_username: user.username,
      updated_at: Math.floor(new Date(user.updatedAt).getTime() / 1000),
      email: user.email,
      email_verified: user.emailVerified,
      tenant: tenant?.key ?? null,
      billable: user.billable,
    };
    // An ID token carries only the openid scope's claims (conformIdTokenClaims; the access token is
    // for userinfo): the library would drop the memberships, so they are not read for one.
    if (scopes.has('organizations') && use !== 'id_token') {
      const ctx = user.tenantId ? RequestContext.system('oidc', user.tenantId) : this.system;
      const memberships = await this.memberships.organizationsOf(ctx, user.id);
      claims.organizations = memberships.map((m) => ({
        id: m.organization.id,
        site_id: m.organization.siteId,
        name: m.organization.name,
        external_uid: m.organization.externalUid,
        role: m.role,
      }));
    }
    return claims;
  }
}
