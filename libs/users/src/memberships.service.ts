import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  OutboxService,
  Page,
  PageQueryDto,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import { MemberView, UserView } from './dto/user.dto';
import { Membership, MembershipRole } from './entities/membership.entity';
import { User } from './entities/user.entity';
import { membershipEventData } from './user-events';
import { UsersRepository } from './users.repository';
import { toUserView } from './users.service';

export interface UserOrganization {
  organization: OrganizationRef;
  role: MembershipRole;
  isSiteAdministrator: boolean;
}

/** How a membership change is made. */
export interface MembershipChangeOptions {
  /**
   * A directory states the membership (LDAP groups, an identity provider's group role, the tenant's
   * portal): Portico follows it even when that leaves the organization without an owner.
   */
  fromDirectory?: boolean;
}

/** Memberships of users in organizations, always within one tenant. */
@Injectable()
export class MembershipsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly organizations: OrganizationsService,
    private readonly tenants: TenantsService,
    private readonly outbox: OutboxService,
  ) {}

  async list(ctx: RequestContext, organizationId: string, query: PageQueryDto): Promise<Page<MemberView>> {
    const org = await this.orgOrFail(ctx, organizationId);
    return this.users.listMembers(ctx, org.id, query, (rows) => rows.map(toMemberView));
  }

  async add(ctx: RequestContext, organizationId: string, userId: string, role: MembershipRole): Promise<MemberView> {
    const org = await this.orgOrFail(ctx, organizationId);
    try {
      return await this.tx.run(async () => {
        const user = await this.userInOrgTenant(org, userId);
        const membership = await this.users.addMembership(user.id, org.id, role);
        membership.user = user;
        await this.record(ctx, org, 'membership.created', user.id, { role });
        return toMemberView(membership);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('The user is already a member of this organization');
      throw err;
    }
  }

  /** Sets the role, adding the user when not yet a member (PUT semantics); the last owner keeps theirs. */
  async setRole(
    ctx: RequestContext,
    organizationId: string,
    userId: string,
    role: MembershipRole,
    opts: MembershipChangeOptions = {},
  ): Promise<MemberView> {
    const org = await this.orgOrFail(ctx, organizationId);
    return this.tx.run(async () => {
      const user = await this.userInOrgTenant(org, userId, true);
      let membership = await this.users.findMembership(user.id, org.id);
      if (!membership) {
        membership = await this.users.addMembership(user.id, org.id, role);
        await this.record(ctx, org, 'membership.created', user.id, { role });
      } else if (membership.role !== role) {
        if (membership.role === 'owner' && !opts.fromDirectory) await this.keepAnOwner(org, user.id);
        membership.role = role;
        await this.users.saveMembership(membership);
        await this.record(ctx, org, 'membership.updated', user.id, { role });
      }
      membership.user = user;
      return toMemberView(membership);
    });
  }

  /** Removes the membership, but never the last owner's: deleting the organization is the way to end it. */
  async remove(ctx: RequestContext, organizationId: string, userId: string, opts: MembershipChangeOptions = {}): Promise<void> {
    const org = await this.orgOrFail(ctx, organizationId);
    await this.tx.run(async () => {
      const membership = await this.users.findMembership(userId, org.id);
      if (!membership) throw new NotFoundError('Membership');
      if (membership.role === 'owner' && !opts.fromDirectory) await this.keepAnOwner(org, userId);
      await this.users.deleteMembership(membership.id);
      await this.record(ctx, org, 'membership.deleted', userId, { role: membership.role });
    });
  }

  /** Users who could join the organization (its tenant's, not yet members) matching `search`, for a picker. */
  async candidates(ctx: RequestContext, organizationId: string, search: string, limit = 10): Promise<UserView[]> {
    const org = await this.orgOrFail(ctx, organizationId);
    const tenantKey = org.tenantId ? ((await this.tenants.findById(org.tenantId))?.key ?? null) : null;
    const rows = await this.users.searchNonMembers(org.tenantId, org.id, search, limit);
    return rows.map((u) => toUserView(u, tenantKey));
  }

  /** The organizations a user belongs to, with the role and whether it makes them a site administrator. */
  async organizationsOf(ctx: RequestContext, userId: string): Promise<UserOrganization[]> {
    const rows = await this.users.membershipsOf(userId);
    const orgs = new Map(
      (
        await this.organizations.findMany(
          ctx,
          rows.map((r) => r.organizationId),
        )
      ).map((o) => [o.id, o]),
    );
    return rows
      .filter((r) => orgs.has(r.organizationId))
      .map((r) => ({ organization: orgs.get(r.organizationId)!, role: r.role, isSiteAdministrator: r.role !== 'member' }))
      .sort((a, b) => a.organization.name.localeCompare(b.organization.name));
  }

  /**
   * The 409 a person gets before removing the organization's last owner (for a page to say so before
   * it asks to confirm); nothing when the user is not its last owner.
   */
  async checkRemovable(ctx: RequestContext, organizationId: string, userId: string): Promise<void> {
    const org = await this.orgOrFail(ctx, organizationId);
    const membership = await this.users.findMembership(userId, org.id);
    if (membership?.role === 'owner') await this.tx.run(() => this.keepAnOwner(org, userId));
  }

  /** Refuses a change that takes the last owner away from the organization (in the caller's transaction). */
  private async keepAnOwner(org: OrganizationRef, userId: string): Promise<void> {
    const others = (await this.users.ownerIds(org.id)).filter((id) => id !== userId);
    if (others.length) return;
    throw new ConflictError(
      `${org.name} must keep an owner and this is its only one: make another member an owner first, or delete the organization`,
    );
  }

  private async orgOrFail(ctx: RequestContext, id: string): Promise<OrganizationRef> {
    const org = await this.organizations.find(ctx, id);
    if (!org) throw new NotFoundError('Organization');
    return org;
  }

  /** The user, if it belongs to the organization's tenant: a 404 when named in the path, a 400 when in the body. */
  private async userInOrgTenant(org: OrganizationRef, userId: string, inPath = false): Promise<User> {
    const user = await this.users.findAnyById(userId);
    if (!user || user.tenantId !== org.tenantId) {
      throw inPath ? new NotFoundError('User') : new InvalidInputError('userId does not name a user of the organization’s tenant');
    }
    return user;
  }

  /** The audit entry and the domain event (the action is the event name) of a membership change, in the caller's transaction. */
  private async record(
    ctx: RequestContext,
    org: OrganizationRef,
    action: 'membership.created' | 'membership.updated' | 'membership.deleted',
    userId: string,
    details: { role: MembershipRole },
  ): Promise<void> {
    const tenant = org.tenantId ? await this.tenants.findById(org.tenantId) : null;
    await this.tx.run(async () => {
      await this.audit.record(ctx, {
        action,
        targetType: 'user',
        targetId: userId,
        tenant,
        details: { organizationId: org.id, ...details },
      });
      await this.outbox.emit(action, org.tenantId, {
        membership: membershipEventData(userId, org.id, details.role, tenant?.key ?? null),
      });
    });
  }
}

function toMemberView(ms: Membership): MemberView {
  return {
    userId: ms.userId,
    organizationId: ms.organizationId,
    email: ms.user?.email ?? '',
    firstName: ms.user?.firstName ?? '',
    lastName: ms.user?.lastName ?? '',
    role: ms.role,
    createdAt: ms.createdAt,
  };
}
