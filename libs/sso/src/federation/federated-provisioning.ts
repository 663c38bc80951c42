import { Injectable } from '@nestjs/common';
import { ConflictError, RequestContext, TransactionService } from '@portico/core';
import { IdentityMapService, LinkKey } from '@portico/identity-map';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import type { TenantRef } from '@portico/tenants';
import { LoginAccount, MembershipsService, UserCredentialsService, UsersService } from '@portico/users';
import type { MappedIdentity } from './attribute-mapping';

export interface ProvisioningSettings {
  jitProvisioning: boolean;
  defaultOrganizationId: string | null;
}

export type Provisioned = { ok: true; account: LoginAccount; created: boolean } | { ok: false; reason: string; message: string };

/** What a sign-in would do, for the console's test login (nothing is written). */
export interface ProvisioningPreview {
  user: 'linked' | 'link-by-email' | 'create' | 'refuse';
  userEmail: string | null;
  organization: 'existing' | 'create' | 'default' | 'none';
  organizationName: string | null;
}

const linkKey = (tenantId: string): LinkKey => ({ tenantId, provider: 'saml', entityType: 'user' });

/**
 * Finds the Portico user a NameID names in the tenant (through the identity map), links an
 * existing user of the tenant with the same email, or creates one when just-in-time provisioning
 * is on; then the organization from the group attributes and the membership with the mapped role.
 * All in one transaction.
 */
@Injectable()
export class SamlProvisioning {
  constructor(
    private readonly tx: TransactionService,
    private readonly identityMap: IdentityMapService,
    private readonly credentials: UserCredentialsService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly memberships: MembershipsService,
  ) {}

  async provision(tenant: TenantRef, settings: ProvisioningSettings, who: MappedIdentity, ip: string | null): Promise<Provisioned> {
    const ctx = RequestContext.system('saml', tenant.id, ip);
    try {
      return await this.tx.run(async () => {
        let created = false;
        let account = await this.linkedAccount(tenant, who.nameId);
        if (!account && who.email) {
          const holder = await this.credentials.findByLogin(tenant.id, who.email);
          if (holder && holder.tenantId === tenant.id && holder.email.toLowerCase() === who.email.toLowerCase()) account = holder;
        }
        if (!account) {
          if (!settings.jitProvisioning)
            return refused('no-account', 'There is no Portico account for you in this tenant. Ask your administrator to create one.');
          if (!who.email)
            return refused('no-email', 'Your identity provider sent no email address, so no account can be made. Ask your administrator.');
          const user = await this.users.create(
            ctx,
            { email: who.email, firstName: who.firstName, lastName: who.lastName, tenantKey: tenant.key },
            'saml',
          );
          account = await this.credentials.findById(user.id);
          created = true;
        }
        if (!account) return refused('no-account', 'The account could not be found. Try again.');
        await this.identityMap.link(linkKey(tenant.id), account.id, who.nameId);
        if (settings.jitProvisioning) await this.applyMembership(ctx, tenant, settings, who, account.id);
        return { ok: true as const, account, created };
      });
    } catch (err) {
      if (err instanceof ConflictError)
        return refused('conflict', `Your account could not be set up: ${err.message}. Ask your administrator.`);
      throw err;
    }
  }

  async preview(tenant: TenantRef, settings: ProvisioningSettings, who: MappedIdentity): Promise<ProvisioningPreview> {
    const ctx = RequestContext.system('saml-test', tenant.id);
    const linked = await this.linkedAccount(tenant, who.nameId);
    const byEmail = !linked && who.email ? await this.credentials.findByLogin(tenant.id, who.email) : null;
    const user = linked ? 'linked' : byEmail ? 'link-by-email' : settings.jitProvisioning && who.email ? 'create' : 'refuse';
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
    return { user, userEmail: (linked ?? byEmail)?.email ?? who.email, organization, organizationName };
  }

  private async linkedAccount(tenant: TenantRef, nameId: string): Promise<LoginAccount | null> {
    const userId = await this.identityMap.resolve(linkKey(tenant.id), nameId);
    const account = userId ? await this.credentials.findById(userId) : null;
    return account && account.tenantId === tenant.id ? account : null;
  }

  private async applyMembership(
    ctx: RequestContext,
    tenant: TenantRef,
    settings: ProvisioningSettings,
    who: MappedIdentity,
    userId: string,
  ): Promise<void> {
    if (who.groupUid) {
      const org = await this.groupOrganization(ctx, tenant, who);
      await this.memberships.setRole(ctx, org.id, userId, who.role);
      return;
    }
    if (!settings.defaultOrganizationId) return;
    const current = await this.memberships.organizationsOf(ctx, userId);
    if (!current.some((o) => o.organization.id === settings.defaultOrganizationId))
      await this.memberships.add(ctx, settings.defaultOrganizationId, userId, 'member');
  }

  private async groupOrganization(ctx: RequestContext, tenant: TenantRef, who: MappedIdentity): Promise<OrganizationRef | { id: string }> {
    const existing = await this.organizations.findByExternalUid(ctx, tenant.id, who.groupUid!);
    if (existing) return existing;
    return this.organizations.create(ctx, { name: who.groupName ?? who.groupUid!, externalUid: who.groupUid!, tenantKey: tenant.key });
  }
}

function refused(reason: string, message: string): Provisioned {
  return { ok: false, reason, message };
}
