import { Injectable } from '@nestjs/common';
import {
  containsPattern,
  findOneFast,
  findRows,
  LIKE_ESCAPE,
  Page,
  PageQueryDto,
  RequestContext,
  scopedList,
  TransactionService,
} from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { IsNull } from 'typeorm';
import { UserQueryDto } from './dto/user.dto';
import { Membership, MembershipRole } from './entities/membership.entity';
import { User } from './entities/user.entity';

/** Every query of the users domain (users and their memberships), in the ambient transaction. */
@Injectable()
export class UsersRepository {
  constructor(
    private readonly tx: TransactionService,
    private readonly tenants: TenantsService,
  ) {}

  list<T>(ctx: RequestContext, query: UserQueryDto, map: (rows: User[]) => Promise<T[]>): Promise<Page<T>> {
    // Order by property names, not columns: with the membership join and take/skip, TypeORM pages
    // through a DISTINCT id subquery that only resolves properties.
    const qb = this.tx.manager.createQueryBuilder(User, 'u').orderBy('u.emailLower', 'ASC').addOrderBy('u.id', 'ASC');
    if (query.email) qb.andWhere('u.email_lower = :email', { email: query.email.trim().toLowerCase() });
    if (query.search) {
      qb.andWhere(
        `(u.email_lower LIKE :s ${LIKE_ESCAPE} OR u.username_lower LIKE :s ${LIKE_ESCAPE} OR LOWER(u.first_name) LIKE :s ${LIKE_ESCAPE} OR LOWER(u.last_name) LIKE :s ${LIKE_ESCAPE})`,
        { s: containsPattern(query.search) },
      );
    }
    if (query.billable !== undefined) qb.andWhere('u.billable = :billable', { billable: query.billable });
    if (query.organizationId) {
      qb.innerJoin(Membership, 'm', 'm.user_id = u.id AND m.organization_id = :org', { org: query.organizationId });
    }
    return scopedList(ctx, qb, query, { tenantColumn: 'u.tenant_id', tenantKey: query.tenantKey, resolveTenant: this.tenantId }, map);
  }

  /** A user the caller may see, or null. */
  find(ctx: RequestContext, id: string): Promise<User | null> {
    // The hot read of the API (GET /users/{id}): one prepared-once statement, tenant in the WHERE.
    return findOneFast(this.tx.manager, User, ctx.isPlatformAdmin ? { id } : { id, tenantId: ctx.tenantId });
  }

  /** Any user by id, whatever its tenant: for sign-in and for checks against a record already scoped. */
  findAnyById(id: string): Promise<User | null> {
    return this.tx.manager.findOneBy(User, { id });
  }

  /** A user of a tenant (null: direct users and platform admins) whose lowercased email, else username, is `key`. */
  async findByLogin(tenantId: string | null, key: string): Promise<User | null> {
    // An email match wins over a username match (someone's username may be another's email).
    const m = this.tx.manager;
    return (await findOneFast(m, User, { emailLower: key, tenantId })) ?? findOneFast(m, User, { usernameLower: key, tenantId });
  }

  /** Inserts a new user; the entity comes back with its id and timestamps. */
  create(fields: Partial<User>): Promise<User> {
    const m = this.tx.manager;
    return m.save(m.create(User, fields));
  }

  save(user: User): Promise<User> {
    return this.tx.manager.save(user);
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(User, { id });
  }

  async setAuthenticatorEnabled(id: string, enabled: boolean): Promise<void> {
    await this.tx.manager.update(User, { id }, { authenticatorEnabled: enabled });
  }

  async setEmailVerified(id: string): Promise<void> {
    await this.tx.manager.update(User, { id }, { emailVerified: true });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.tx.manager.update(User, { id }, { passwordHash });
  }

  countPlatformAdmins(): Promise<number> {
    return this.tx.manager.countBy(User, { isPlatformAdmin: true, tenantId: IsNull() });
  }

  /**
   * Active platform administrators other than `exceptId`. On PostgreSQL it locks every active
   * admin row, all in one order, so two admins disabling each other at once cannot both succeed.
   */
  async countOtherActiveAdmins(exceptId: string): Promise<number> {
    const admins = await findRows(
      this.tx.manager,
      User,
      { isPlatformAdmin: true, status: 'active' },
      { orderBy: { id: 'ASC' }, forUpdate: true },
    );
    return admins.filter((u) => u.id !== exceptId).length;
  }

  /** Every platform administrator, by email (a short list: the people who run Portico). */
  platformAdmins(): Promise<User[]> {
    return findRows(this.tx.manager, User, { isPlatformAdmin: true }, { orderBy: { emailLower: 'ASC' }, limit: 1000 });
  }

  /** An organization's members with their users, oldest first (the organization is the caller's, already checked). */
  listMembers<T>(ctx: RequestContext, organizationId: string, query: PageQueryDto, map: (rows: Membership[]) => T[]): Promise<Page<T>> {
    const qb = this.tx.manager
      .createQueryBuilder(Membership, 'ms')
      .leftJoinAndSelect('ms.user', 'user')
      .where('ms.organization_id = :org', { org: organizationId })
      .orderBy('ms.createdAt', 'ASC')
      .addOrderBy('ms.id', 'ASC');
    return scopedList(ctx, qb, query, {}, map);
  }

  /** Users of one tenant (null: direct users) whose email, username or name contains `search`, not yet members of the organization. */
  searchNonMembers(tenantId: string | null, organizationId: string, search: string, limit: number): Promise<User[]> {
    const qb = this.tx.manager
      .createQueryBuilder(User, 'u')
      .where(tenantId ? 'u.tenant_id = :tenantId' : 'u.tenant_id IS NULL', { tenantId })
      .andWhere(
        `(u.email_lower LIKE :s ${LIKE_ESCAPE} OR u.username_lower LIKE :s ${LIKE_ESCAPE} OR LOWER(u.first_name) LIKE :s ${LIKE_ESCAPE} OR LOWER(u.last_name) LIKE :s ${LIKE_ESCAPE})`,
        { s: containsPattern(search) },
      )
      .andWhere((sub) => {
        const members = sub.subQuery().select('m.user_id').from(Membership, 'm').where('m.organization_id = :org').getQuery();
        return `u.id NOT IN ${members}`;
      })
      .setParameter('org', organizationId)
      .orderBy('u.emailLower', 'ASC')
      .limit(limit);
    return qb.getMany();
  }

  findMembership(userId: string, organizationId: string): Promise<Membership | null> {
    return this.tx.manager.findOneBy(Membership, { userId, organizationId });
  }

  /** Every membership of a user. */
  membershipsOf(userId: string): Promise<Membership[]> {
    // Every password sign-in asks (external-login routing): a plain statement.
    return findRows(this.tx.manager, Membership, { userId });
  }

  /**
   * The user ids of an organization's owners. On PostgreSQL it locks their rows, so two owners
   * removed or demoted at once cannot both go and leave the organization without one.
   */
  async ownerIds(organizationId: string): Promise<string[]> {
    const owners = await findRows(
      this.tx.manager,
      Membership,
      { organizationId, role: 'owner' },
      { orderBy: { id: 'ASC' }, forUpdate: true },
    );
    return owners.map((o) => o.userId);
  }

  addMembership(userId: string, organizationId: string, role: MembershipRole): Promise<Membership> {
    const m = this.tx.manager;
    return m.save(m.create(Membership, { userId, organizationId, role }));
  }

  saveMembership(membership: Membership): Promise<Membership> {
    return this.tx.manager.save(membership);
  }

  async deleteMembership(id: string): Promise<void> {
    await this.tx.manager.delete(Membership, { id });
  }

  private readonly tenantId = async (key: string): Promise<string | null> => (await this.tenants.findByKey(key))?.id ?? null;
}
