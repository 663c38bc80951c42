import { Injectable } from '@nestjs/common';
import { InvalidInputError, RequestContext, TransactionService } from '@portico/core';
import { IdentityMapService, LinkKey, LinkedEntityType } from '@portico/identity-map';
import { OrganizationRef, OrganizationsService } from '@portico/organizations';
import type { TenantRef } from '@portico/tenants';
import { PortalConflict } from '../portal-context';
import { MembershipRole, MembershipsService, UserCredentialsService, UserRef, UsersService } from '@portico/users';

export type RecordOutcome = 'created' | 'updated' | 'unchanged';

/** The identity-map provider under which Portico records a tenant's own user and group uids. */
export const PORTAL_PROVIDER = 'portal';

export interface PersonInput {
  userUid?: string | null;
  email: string;
  firstName: string;
  lastName: string;
}

/**
 * The tenant's people and groups as the portal names them (uids), mapped onto Portico's users and
 * organizations through the identity map. One place for autologin, sign-up and the data-sharing
 * notifications, so they all resolve and record foreign ids the same way. Every method runs inside
 * the caller's transaction; facades do the writes (and their audit).
 */
@Injectable()
export class PortalDirectory {
  constructor(
    private readonly tx: TransactionService,
    private readonly identityMap: IdentityMapService,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly credentials: UserCredentialsService,
    private readonly memberships: MembershipsService,
  ) {}

  /** The organization a group uid names: its identity link, else its externalUid. */
  async findOrganization(ctx: RequestContext, tenant: TenantRef, groupUid: string): Promise<OrganizationRef | null> {
    const linked = await this.linked(tenant, 'organization', groupUid, (id) => this.organizations.find(ctx, id));
    return linked ?? (await this.organizations.findByExternalUid(ctx, tenant.id, groupUid));
  }

  /** The user a user uid names (its identity link), or null. */
  async findUser(ctx: RequestContext, tenant: TenantRef, userUid: string): Promise<UserRef | null> {
    return this.linked(tenant, 'user', userUid, (id) => this.users.find(ctx, id));
  }

  /**
   * Finds the organization by group uid (or, without one or when unknown, by name: an organization
   * nobody linked yet is adopted), creates it when missing, and records the uid. `rename` lets the
   * portal's name win over Portico's.
   */
  async upsertOrganization(
    ctx: RequestContext,
    tenant: TenantRef,
    input: { groupUid?: string | null; name?: string | null },
    opts: { rename: boolean },
  ): Promise<{ org: OrganizationRef; outcome: RecordOutcome }> {
    const { groupUid } = input;
    const name = input.name?.trim() || null;
    let org = groupUid ? await this.findOrganization(ctx, tenant, groupUid) : null;
    if (!org && name) {
      const byName = await this.organizations.findByName(ctx, name);
      if (byName && !(await this.mayBeGroup(tenant, byName, groupUid)))
        throw new PortalConflict(`The organization name "${name}" is already used by another group of this tenant (not "${groupUid}")`);
      org = byName;
    }
    if (!org) {
      if (!name) throw new InvalidInputError(`The group "${groupUid}" is not known yet: a name is needed to create it`);
      const created = await this.organizations.create(ctx, { name, externalUid: groupUid ?? undefined });
      if (groupUid) await this.link(tenant, 'organization', created.id, groupUid);
      return { org: (await this.organizations.find(ctx, created.id))!, outcome: 'created' };
    }
    const changes: { name?: string; externalUid?: string } = {};
    if (opts.rename && name && name !== org.name) changes.name = name;
    if (groupUid && !org.externalUid) changes.externalUid = groupUid;
    let changed = false;
    if (Object.keys(changes).length) {
      await this.organizations.update(ctx, org.id, changes);
      org = (await this.organizations.find(ctx, org.id))!;
      changed = true;
    }
    if (groupUid && !(await this.foreignIdOf(tenant, 'organization', org.id))) {
      await this.link(tenant, 'organization', org.id, groupUid);
      changed = true;
    }
    return { org, outcome: changed ? 'updated' : 'unchanged' };
  }

  /**
   * Finds the person by user uid, else by email; creates them when missing; brings email and names
   * up to date; records the uid. An email that belongs to a person with another uid is refused.
   */
  async upsertUser(
    ctx: RequestContext,
    tenant: TenantRef,
    person: PersonInput,
    createdVia: string,
  ): Promise<{ user: UserRef; outcome: RecordOutcome }> {
    const { userUid } = person;
    let user = userUid ? await this.findUser(ctx, tenant, userUid) : null;
    if (!user) {
      const account = await this.credentials.findByLogin(tenant.id, person.email);
      user = account ? await this.users.find(ctx, account.id) : null;
      const otherUid = user && userUid ? await this.foreignIdOf(tenant, 'user', user.id) : null;
      if (otherUid && otherUid !== userUid)
        throw new PortalConflict(`The email ${person.email} belongs to another person of this tenant (uid "${otherUid}")`);
    }
    if (!user) {
      const created = await this.users.create(
        ctx,
        { email: person.email, firstName: person.firstName, lastName: person.lastName, externalUid: userUid ?? undefined },
        createdVia,
      );
      if (userUid) await this.link(tenant, 'user', created.id, userUid);
      return { user: (await this.users.find(ctx, created.id))!, outcome: 'created' };
    }
    const changes: { email?: string; firstName?: string; lastName?: string; externalUid?: string } = {};
    if (person.email.toLowerCase() !== user.email.toLowerCase()) changes.email = person.email;
    if (person.firstName !== user.firstName) changes.firstName = person.firstName;
    if (person.lastName !== user.lastName) changes.lastName = person.lastName;
    if (userUid && !user.externalUid) changes.externalUid = userUid;
    let changed = false;
    if (Object.keys(changes).length) {
      await this.users.update(ctx, user.id, changes);
      user = (await this.users.find(ctx, user.id))!;
      changed = true;
    }
    if (userUid && !(await this.foreignIdOf(tenant, 'user', user.id))) {
      await this.link(tenant, 'user', user.id, userUid);
      changed = true;
    }
    return { user, outcome: changed ? 'updated' : 'unchanged' };
  }

  /** Makes the user a member; `setRole` also changes the role of an existing membership. */
  async ensureMembership(
    ctx: RequestContext,
    organizationId: string,
    userId: string,
    role: MembershipRole,
    opts: { setRole: boolean },
  ): Promise<RecordOutcome> {
    const current = (await this.memberships.organizationsOf(ctx, userId)).find((o) => o.organization.id === organizationId);
    if (!current) {
      await this.memberships.add(ctx, organizationId, userId, role);
      return 'created';
    }
    if (!opts.setRole || current.role === role) return 'unchanged';
    await this.memberships.setRole(ctx, organizationId, userId, role, { fromDirectory: true });
    return 'updated';
  }

  /** Whether the user still belongs to any organization of the caller's tenant. */
  async hasMemberships(ctx: RequestContext, userId: string): Promise<boolean> {
    return (await this.memberships.organizationsOf(ctx, userId)).length > 0;
  }

  /** Forgets the uids recorded for a Portico record that is going away. */
  async forget(tenant: TenantRef, entityType: LinkedEntityType, localId: string): Promise<void> {
    await this.tx.run(() => this.identityMap.forgetLocal(tenant.id, entityType, localId));
  }

  /**
   * Whether an organization found by name may be the group: no group uid asked for, or none recorded
   * for it yet (it is adopted), or this very one (a concurrent delivery just created it).
   */
  private async mayBeGroup(tenant: TenantRef, org: OrganizationRef, groupUid: string | null | undefined): Promise<boolean> {
    if (!groupUid) return true;
    if (org.externalUid && org.externalUid !== groupUid) return false;
    const linked = await this.foreignIdOf(tenant, 'organization', org.id);
    return !linked || linked === groupUid;
  }

  /** A link whose record is gone (deleted through the API) is dropped, so the uid can name a new record. */
  private async linked<T>(
    tenant: TenantRef,
    entityType: LinkedEntityType,
    foreignId: string,
    load: (id: string) => Promise<T | null>,
  ): Promise<T | null> {
    const key = this.key(tenant, entityType);
    const localId = await this.identityMap.resolve(key, foreignId);
    if (!localId) return null;
    const record = await load(localId);
    if (!record) await this.tx.run(() => this.identityMap.unlink(key, foreignId));
    return record;
  }

  private foreignIdOf(tenant: TenantRef, entityType: LinkedEntityType, localId: string): Promise<string | null> {
    return this.identityMap.foreignIdOf(this.key(tenant, entityType), localId);
  }

  private async link(tenant: TenantRef, entityType: LinkedEntityType, localId: string, foreignId: string): Promise<void> {
    await this.tx.run(() => this.identityMap.link(this.key(tenant, entityType), localId, foreignId));
  }

  private key(tenant: TenantRef, entityType: LinkedEntityType): LinkKey {
    return { tenantId: tenant.id, provider: PORTAL_PROVIDER, entityType };
  }
}
