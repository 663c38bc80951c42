import { Injectable } from '@nestjs/common';
import { ConflictError, RequestContext, TransactionService } from '@portico/core';
import { IdentityMapService, LinkKey } from '@portico/identity-map';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import type { TenantRef } from '@portico/tenants';
import { LoginAccount, MembershipsService, UserCredentialsService, UsersService } from '@portico/users';
import type { FederatedIdentity } from './federated-identity';

/** The identity-map provider a sign-in's subject is linked under (and the user's `createdVia`). */
export type FederationProvider = 'saml' | 'oidc';

export interface ProvisioningSettings {
  jitProvisioning: boolean;
  defaultOrganizationId: string | null;
}

export type Provisioned = { ok: true; account: LoginAccount; created: boolean } | { ok: false; reason: string; message: string };

/** What a sign-in would do, for the console's test login (nothing is written). */
export interface ProvisioningPreview {
  user: 'linked' | 'link-by-email' | 'create' | 'refuse';
  userEmail: string | null;
  /** Why a sign-in would be refused (the reason code a real one audits). */
  refusal: string | null;
  organization: 'existing' | 'create' | 'default' | 'none';
  organizationName: string | null;
}

const linkKey = (tenantId: string, provider: FederationProvider): LinkKey => ({ tenantId, provider, entityType: 'user' });

const UNVERIFIED_EMAIL =
  'An account with your email address already exists here, but your identity provider does not say the address is verified, so it cannot be linked to you. Ask your administrator to verify the address at the provider, or to link the accounts.';

/**
 * How a tenant's SAML and OpenID Connect sign-ins become a Portico user: the user the subject is
 * linked to in the tenant (through the identity map), else an existing user of the tenant with the
 * same email, else a new one when just-in-time provisioning is on; then the organization from the
 * group claims and the membership with the mapped role. All in one transaction.
 *
 * An email links an existing account only when the provider did not say it is unverified (SAML
 * says nothing; OpenID Connect must send `email_verified: true`), so nobody takes over an account
 * through an address they never proved.
 */
@Injectable()
export class FederatedProvisioning {
  constructor(
    private readonly tx: TransactionService,
    private readonly identityMap: IdentityMapService,
    private readonly credentials: UserCredentialsService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly memberships: MembershipsService,
  ) {}

  async provision(
    provider: FederationProvider,
    tenant: TenantRef,
    settings: ProvisioningSettings,
    who: FederatedIdentity,
    ip: string | null,
  ): Promise<Provisioned> {
    const ctx = RequestContext.system(provider, tenant.id, ip);
    try {
      return await this.tx.run(async () => {
        let created = false;
        let account = await this.linkedAccount(tenant, provider, who.subject);
        if (!account && who.email) {
          const holder = await this.sameEmail(tenant, who.email);
          if (holder && who.emailVerified === false) return refused('email-unverified', UNVERIFIED_EMAIL);
          account = holder;
        }
        if (!account) {
          if (!settings.jitProvisioning)
            return refused('no-account', 'There is no Portico account for you in this tenant. Ask your administrator to create one.');
          if (!who.email)
            return refused('no-email', 'Your identity provider sent no email address, so no account can be made. Ask your administrator.');
          const user = await this.users.create(
            ctx,
            { email: who.email, firstName: who.firstName, lastName: who.lastName, tenantKey: tenant.key },
            provider,
          );
          account = await this.credentials.findById(user.id);
          created = true;
        }
        if (!account) return refused('no-account', 'The account could not be found. Try again.');
        await this.identityMap.link(linkKey(tenant.id, provider), account.id, who.subject);
        if (settings.jitProvisioning) await this.applyMembership(ctx, tenant, settings, who, account.id);
        return { ok: true as const, account, created };
      });
    } catch (err) {
      if (err instanceof ConflictError)
        return refused('conflict', `Your account could not be set up: ${err.message}. Ask your administrator.`);
      throw err;
    }
  }

  async preview(
    provider: FederationProvider,
    tenant: TenantRef,
    settings: ProvisioningSettings,
    who: FederatedIdentity,
  ): Promise<ProvisioningPreview> {
    const ctx = RequestContext.system(`${provider}-test`, tenant.id);
    const linked = await this.linkedAccount(tenant, provider, who.subject);
    const byEmail = !linked && who.email ? await this.sameEmail(tenant, who.email) : null;
    let user: ProvisioningPreview['user'];
    let refusal: string | null = null;
    if (linked) user = 'linked';
    else if (byEmail) {
      user = who.emailVerified === false ? 'refuse' : 'link-by-email';
      if (user === 'refuse') refusal = 'email-unverified';
    } else if (!settings.jitProvisioning) [user, refusal] = ['refuse', 'no-account'];
    else if (!who.email) [user, refusal] = ['refuse', 'no-email'];
    else user = 'create';
    let organization: ProvisioningPreview['organization'] = 'none';
    let organizationName: string | null = null;
    if (settings.jitProvisioning && who.groupUid) {
      const org = await this.organizations.findByExternalUid(ctx, tenant.id, who.groupUid);
      organization = org ? 'existing' : 'create';
      organizationName = org?.name ?? who.groupName ?? who.groupUid;
    } else if (settings.jitProvisioning && settings.defaultOrganizationId) {
      organization = 'default';
      organizationName = (await this.organizations.find(ctx, settings.defaultOrganizationId))?.name ?? null;
    }
    return { user, userEmail: (linked ?? byEmail)?.email ?? who.email, refusal, organization, organizationName };
  }

  private async linkedAccount(tenant: TenantRef, provider: FederationProvider, subject: string): Promise<LoginAccount | null> {
    const userId = await this.identityMap.resolve(linkKey(tenant.id, provider), subject);
    const account = userId ? await this.credentials.findById(userId) : null;
    return account && account.tenantId === tenant.id ? account : null;
  }

  private async sameEmail(tenant: TenantRef, email: string): Promise<LoginAccount | null> {
    const holder = await this.credentials.findByLogin(tenant.id, email);
    return holder && holder.tenantId === tenant.id && holder.email.toLowerCase() === email.toLowerCase() ? holder : null;
  }

  private async applyMembership(
    ctx: RequestContext,
    tenant: TenantRef,
    settings: ProvisioningSettings,
    who: FederatedIdentity,
    userId: string,
  ): Promise<void> {
    if (who.groupUid) {
      const org = await this.groupOrganization(ctx, tenant, who);
      await this.memberships.setRole(ctx, org.id, userId, who.role, { fromDirectory: true });
      return;
    }
    if (!settings.defaultOrganizationId) return;
    const current = await this.memberships.organizationsOf(ctx, userId);
    if (!current.some((o) => o.organization.id === settings.defaultOrganizationId))
      await this.memberships.add(ctx, settings.defaultOrganizationId, userId, 'member');
  }

  private async groupOrganization(
    ctx: RequestContext,
    tenant: TenantRef,
    who: FederatedIdentity,
  ): Promise<OrganizationRef | { id: string }> {
    const existing = await this.organizations.findByExternalUid(ctx, tenant.id, who.groupUid!);
    if (existing) return existing;
    return this.organizations.create(ctx, { name: who.groupName ?? who.groupUid!, externalUid: who.groupUid!, tenantKey: tenant.key });
  }
}

function refused(reason: string, message: string): Provisioned {
  return { ok: false, reason, message };
}
