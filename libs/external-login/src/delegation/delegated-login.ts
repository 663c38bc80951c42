import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { FirstFactor, FirstFactorResult, FirstFactorRouter, FirstFactorRoutes, LoginAttempt, WRONG_CREDENTIALS } from '@portico/auth';
import { ConflictError, RequestContext } from '@portico/core';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import type { TenantRef } from '@portico/tenants';
import { LoginAccount, MembershipsService, UserCredentialsService, UsersService } from '@portico/users';
import { isEmail } from 'class-validator';
import { ExternalLoginProvidersService } from '../providers/external-login-providers.service';
import { ProviderClient, ProviderConfig } from '../providers/provider-client';

export const PROVIDER_UNAVAILABLE = 'Your organization’s login service could not be reached. Try again in a moment.';
export const PROVIDER_PAUSED =
  'Your organization’s login service is not answering; sign-ins through it are paused for a short while. Try again in a minute.';
export const NOT_CREATED =
  'Your organization’s login service accepted you, but Portico could not create your account. Ask your administrator.';

/**
 * Organizations ("sites") with authMode external send their members' password checks to their
 * provider. Registered with auth's FirstFactorRoutes, so auth never depends on this module.
 */
@Injectable()
export class DelegatedLoginRouter implements FirstFactorRouter, OnModuleInit {
  constructor(
    private readonly routes: FirstFactorRoutes,
    private readonly credentials: UserCredentialsService,
    private readonly memberships: MembershipsService,
    private readonly organizations: OrganizationsService,
    private readonly providers: ExternalLoginProvidersService,
    private readonly client: ProviderClient,
    private readonly users: UsersService,
  ) {}

  onModuleInit(): void {
    this.routes.register(this);
  }

  async route(attempt: LoginAttempt): Promise<FirstFactor | null> {
    const ctx = RequestContext.system('external-login');
    const account = attempt.account;
    if (account) {
      // Platform admins are always authenticated by Portico itself.
      if (account.isPlatformAdmin) return null;
      const sites = (await this.memberships.organizationsOf(ctx, account.id))
        .map((m) => m.organization)
        .filter((o) => o.authMode === 'external' && o.externalLoginProviderId)
        .sort((a, b) => a.siteId - b.siteId);
      if (!sites.length) return null;
      // A member of several delegating sites is checked by the one the page was opened for, else the oldest.
      const site = sites.find((s) => s.siteId === attempt.siteId) ?? sites[0];
      return this.factor(site, account);
    }
    // Someone Portico does not know: only a site that lets its provider create users may vouch for them.
    if (attempt.siteId === null) return null;
    const site = await this.organizations.findBySiteId(ctx, attempt.siteId);
    if (!site || site.tenantId !== (attempt.tenant?.id ?? null) || site.authMode !== 'external' || !site.externalLoginProviderId)
      return null;
    const provider = await this.providers.config(site.externalLoginProviderId);
    if (!provider?.allowUserCreation) return null;
    return new DelegatedCheck(site, provider, null, this.client, this.users, this.credentials);
  }

  private async factor(site: OrganizationRef, account: LoginAccount): Promise<FirstFactor | null> {
    const provider = await this.providers.config(site.externalLoginProviderId!);
    return provider ? new DelegatedCheck(site, provider, account, this.client, this.users, this.credentials) : null;
  }
}

/** One attempt's check by one site's provider: the contract call, then (if allowed) the new account. */
class DelegatedCheck implements FirstFactor {
  readonly method = 'external' as const;
  private readonly logger = new Logger('ExternalLogin');

  constructor(
    private readonly site: OrganizationRef,
    private readonly provider: ProviderConfig,
    private readonly account: LoginAccount | null,
    private readonly client: ProviderClient,
    private readonly users: UsersService,
    private readonly credentials: UserCredentialsService,
  ) {}

  async check(tenant: TenantRef | null, login: string, password: string): Promise<FirstFactorResult> {
    const details = { providerId: this.provider.id, siteId: this.site.siteId };
    // A known user goes by the username Portico holds (they may have typed their email); the password as typed.
    const username = this.account?.username ?? login.trim();
    const result = await this.client.login(this.provider, { siteId: this.site.siteId, username, password });
    if (!result.ok) {
      const reason = result.failure === 'circuitOpen' ? PROVIDER_PAUSED : PROVIDER_UNAVAILABLE;
      return { ok: false, account: this.account, reason, unavailable: true, details: { ...details, failure: result.failure } };
    }
    if (!result.answer.loginSuccessful) {
      return {
        ok: false,
        account: this.account,
        reason: result.answer.reason ?? WRONG_CREDENTIALS,
        details: { ...details, providerReason: result.answer.reason },
      };
    }
    // Existing users are never changed by a login.
    if (this.account) return { ok: true, account: this.account, details };
    return this.create(tenant, username, result.answer, details);
  }

  private async create(
    tenant: TenantRef | null,
    typed: string,
    answer: { username: string | null; emailAddress: string | null; isSiteAdministrator: boolean | null },
    details: Record<string, unknown>,
  ): Promise<FirstFactorResult> {
    const username = (answer.username ?? typed).slice(0, 320);
    const email = answer.emailAddress ?? (isEmail(username) ? username : null);
    const refuse = (why: string) => {
      this.logger.warn(
        `Provider "${this.provider.name}" (${this.provider.id}) accepted "${typed}" for site ${this.site.siteId}, but no account was made: ${why}`,
      );
      return { ok: false as const, reason: NOT_CREATED, details: { ...details, notCreated: why } };
    };
    if (!email || !isEmail(email) || email.length > 320) return refuse('the provider returned no valid email_address');
    // A name the provider returns must not land on someone else's account (by username or email).
    for (const name of new Set([username, email])) {
      const holder = await this.credentials.findByLogin(tenant?.id ?? null, name);
      if (holder) return refuse(`"${name}" already belongs to another account`);
    }
    const ctx = RequestContext.system('external-login');
    try {
      const created = await this.users.create(
        ctx,
        {
          email,
          username,
          tenantKey: tenant?.key,
          organizationId: this.site.id,
          role: answer.isSiteAdministrator ? 'admin' : 'member',
        },
        'external-login',
      );
      const account = await this.credentials.findById(created.id);
      return account ? { ok: true, account, details: { ...details, created: true } } : refuse('the new account vanished');
    } catch (err) {
      if (err instanceof ConflictError) return refuse('the email or username was taken at the same moment');
      throw err;
    }
  }
}
