import { Injectable } from '@nestjs/common';
import { UserSessionsService } from '@portico/auth';
import { AuditService, NotFoundError, RequestContext, TransactionService } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { callerTenant, TenantRef } from '@portico/tenants';
import { MembershipsService } from '@portico/users';
import { PortalDirectory } from '../directory/portal-directory';

const MEMBER_PAGE = 500;

/**
 * The portal's account webhooks: a group (customer) cancelled, a person left a group. Both are
 * idempotent: what is already gone is success. People left without any organization of the tenant
 * are signed out everywhere, since what they were signed in for has ended.
 */
@Injectable()
export class AccountWebhooksService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly directory: PortalDirectory,
    private readonly organizations: OrganizationsService,
    private readonly memberships: MembershipsService,
    private readonly sessions: UserSessionsService,
  ) {}

  async deleteGroup(ctx: RequestContext, groupUid: string): Promise<void> {
    const tenant = ownTenant(ctx);
    const members = await this.tx.run(async () => {
      const org = await this.directory.findOrganization(ctx, tenant, groupUid);
      if (!org) return [];
      const userIds = await this.memberIds(ctx, org.id);
      await this.organizations.delete(ctx, org.id);
      await this.directory.forget(tenant, 'organization', org.id);
      return userIds;
    });
    const signedOut = await this.endSessionsOfTheUnaffiliated(ctx, members);
    if (members.length || signedOut.length) await this.recordSignOuts(ctx, tenant, { groupUid, members: members.length, signedOut });
  }

  async removeGroupUser(ctx: RequestContext, groupUid: string, userUid: string): Promise<void> {
    const tenant = ownTenant(ctx);
    const removed = await this.tx.run(async () => {
      const org = await this.directory.findOrganization(ctx, tenant, groupUid);
      const user = org ? await this.directory.findUser(ctx, tenant, userUid) : null;
      if (!org || !user) return null;
      try {
        await this.memberships.remove(ctx, org.id, user.id, { fromDirectory: true });
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
      return user.id;
    });
    if (!removed) return;
    const signedOut = await this.endSessionsOfTheUnaffiliated(ctx, [removed]);
    if (signedOut.length) await this.recordSignOuts(ctx, tenant, { groupUid, userUid, signedOut });
  }

  private async memberIds(ctx: RequestContext, organizationId: string): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += MEMBER_PAGE) {
      const page = await this.memberships.list(ctx, organizationId, { limit: MEMBER_PAGE, offset });
      ids.push(...page.items.map((m) => m.userId));
      if (offset + MEMBER_PAGE >= page.total) return ids;
    }
  }

  private async endSessionsOfTheUnaffiliated(ctx: RequestContext, userIds: string[]): Promise<string[]> {
    const ended: string[] = [];
    for (const userId of userIds) {
      if (await this.directory.hasMemberships(ctx, userId)) continue;
      await this.sessions.endAll(userId);
      ended.push(userId);
    }
    return ended;
  }

  private async recordSignOuts(ctx: RequestContext, tenant: TenantRef, details: Record<string, unknown>): Promise<void> {
    await this.tx.run(() =>
      this.audit.record(ctx, {
        action: 'portal.account_webhook.sessions_ended',
        targetType: 'tenant',
        targetId: tenant.id,
        tenant,
        details,
      }),
    );
  }
}

function ownTenant(ctx: RequestContext): TenantRef {
  const tenant = callerTenant(ctx);
  if (!tenant) throw new Error('Account webhooks run only for a tenant key (the route is @TenantKeyed)');
  return tenant;
}
