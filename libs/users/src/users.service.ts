import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  duplicateError,
  CryptoService,
  ForbiddenError,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  OutboxService,
  Page,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { callerTenant, TenantRef, TenantsService } from '@portico/tenants';
import { CreateUserDto, UpdateUserDto, UserQueryDto, UserView } from './dto/user.dto';
import { User } from './entities/user.entity';
import { PasswordChecks } from './password-policy';
import { membershipEventData, userEventData } from './user-events';
import { UsersRepository } from './users.repository';

const DUPLICATE = 'A user with that email, username or externalUid already exists in this tenant';
const duplicateUser = (err: unknown) =>
  duplicateError(
    err,
    { one: 'A user', many: 'users' },
    { email_lower: 'email', username_lower: 'username', external_uid: 'externalUid' },
    DUPLICATE,
  );

/** What other modules may know of a user. */
export type UserRef = Pick<
  User,
  | 'id'
  | 'tenantId'
  | 'email'
  | 'username'
  | 'firstName'
  | 'lastName'
  | 'billable'
  | 'status'
  | 'externalUid'
  | 'authenticatorEnabled'
  | 'emailVerified'
  | 'isPlatformAdmin'
  | 'updatedAt'
>;

/** The users facade: people, their billable flag and credentials, scoped to the caller's tenant. */
/** A password checked against the policy and hashed (UsersService.preparePassword). */
export interface PreparedPassword {
  readonly hash: string;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly tx: TransactionService,
    private readonly users: UsersRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly outbox: OutboxService,
    private readonly passwords: PasswordChecks,
  ) {}

  list(ctx: RequestContext, query: UserQueryDto): Promise<Page<UserView>> {
    return this.users.list(ctx, query, async (rows) => {
      const tenants = await this.tenants.findByIds(rows.map((u) => u.tenantId).filter((id): id is string => !!id));
      return rows.map((u) => toUserView(u, u.tenantId ? (tenants.get(u.tenantId)?.key ?? null) : null));
    });
  }

  async get(ctx: RequestContext, id: string): Promise<UserView> {
    const user = await this.findOrFail(ctx, id);
    return toUserView(user, (await this.tenantRef(ctx, user.tenantId))?.key ?? null);
  }

  /**
   * Checks a new user's password against the policy of `tenantId` and hashes it, for a caller that
   * creates the user inside a transaction of its own: argon2 runs before the transaction, not in it.
   */
  async preparePassword(password: string, tenantId: string | null): Promise<PreparedPassword> {
    await this.checkPassword(password, tenantId);
    return { hash: await this.crypto.hashPassword(password) };
  }

  /** `prepared`: the password from preparePassword, in place of `dto.password`. */
  async create(ctx: RequestContext, dto: CreateUserDto, createdVia = 'api', prepared?: PreparedPassword): Promise<UserView> {
    if (dto.isPlatformAdmin) checkAdminCreation(ctx, dto, !!prepared);
    const tenant = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    if (dto.role && !dto.organizationId) throw new InvalidInputError('role needs an organizationId');
    if (dto.organizationId) {
      const org = await this.organizations.find(ctx, dto.organizationId);
      if (!org || org.tenantId !== (tenant?.id ?? null))
        throw new InvalidInputError('organizationId does not name an organization of this tenant');
    }
    let passwordHash = prepared?.hash ?? null;
    if (!prepared && dto.password) passwordHash = (await this.preparePassword(dto.password, tenant?.id ?? null)).hash;
    try {
      return await this.tx.run(async () => {
        const username = dto.username ?? dto.email;
        const user = await this.users.create({
          tenantId: tenant?.id ?? null,
          email: dto.email,
          emailLower: dto.email.toLowerCase(),
          username,
          usernameLower: username.toLowerCase(),
          firstName: dto.firstName?.trim() ?? '',
          lastName: dto.lastName?.trim() ?? '',
          billable: dto.billable ?? false,
          status: dto.status ?? 'active',
          passwordHash,
          externalUid: dto.externalUid ?? null,
          createdVia,
          emailVerified: dto.emailVerified ?? true,
          isPlatformAdmin: dto.isPlatformAdmin ?? false,
        });
        await this.audit.record(ctx, {
          action: 'user.created',
          targetType: 'user',
          targetId: user.id,
          tenant,
          details: { email: user.email, via: createdVia, ...(user.isPlatformAdmin ? { platformAdmin: true } : {}) },
        });
        await this.outbox.emit('user.created', user.tenantId, { user: userEventData(user, tenant?.key ?? null) });
        if (dto.organizationId) {
          await this.users.addMembership(user.id, dto.organizationId, dto.role ?? 'member');
          await this.audit.record(ctx, {
            action: 'membership.created',
            targetType: 'user',
            targetId: user.id,
            tenant,
            details: { organizationId: dto.organizationId, role: dto.role ?? 'member' },
          });
          await this.outbox.emit('membership.created', user.tenantId, {
            membership: membershipEventData(user.id, dto.organizationId, dto.role ?? 'member', tenant?.key ?? null),
          });
        }
        return toUserView(user, tenant?.key ?? null);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateUser(err);
      throw err;
    }
  }

  async update(ctx: RequestContext, id: string, dto: UpdateUserDto): Promise<UserView> {
    if (dto.isPlatformAdmin !== undefined && !ctx.isPlatformAdmin)
      throw new ForbiddenError('Only a platform administrator may set isPlatformAdmin');
    if (dto.password) await this.checkPassword(dto.password, (await this.findOrFail(ctx, id)).tenantId);
    const passwordHash = dto.password ? await this.crypto.hashPassword(dto.password) : undefined;
    try {
      return await this.tx.run(async () => {
        const user = await this.findOrFail(ctx, id);
        const changed: string[] = [];
        const set = <K extends keyof User>(key: K, value: User[K]) => {
          if (user[key] !== value) {
            user[key] = value;
            changed.push(String(key));
          }
        };
        if (dto.email !== undefined) {
          set('email', dto.email);
          user.emailLower = dto.email.toLowerCase();
        }
        if (dto.username !== undefined) {
          set('username', dto.username);
          user.usernameLower = dto.username.toLowerCase();
        }
        if (dto.firstName !== undefined) set('firstName', dto.firstName.trim());
        if (dto.lastName !== undefined) set('lastName', dto.lastName.trim());
        if (dto.isPlatformAdmin && user.tenantId)
          throw new InvalidInputError('isPlatformAdmin: a platform administrator belongs to no tenant; this user is in one');
        const leavesAdmins =
          user.isPlatformAdmin && user.status === 'active' && (dto.status === 'disabled' || dto.isPlatformAdmin === false);
        if (leavesAdmins) await this.ensureAnotherAdmin(user.id);
        if (dto.status !== undefined) set('status', dto.status);
        if (dto.isPlatformAdmin !== undefined) set('isPlatformAdmin', dto.isPlatformAdmin);
        if (dto.externalUid !== undefined) set('externalUid', dto.externalUid);
        if (dto.emailVerified !== undefined) set('emailVerified', dto.emailVerified);
        if (passwordHash) {
          user.passwordHash = passwordHash;
          changed.push('password');
        }
        const billableChanged = dto.billable !== undefined && dto.billable !== user.billable;
        if (dto.billable !== undefined) set('billable', dto.billable);
        const tenant = await this.tenantRef(ctx, user.tenantId);
        if (changed.length) {
          await this.users.save(user);
          await this.audit.record(ctx, { action: 'user.updated', targetType: 'user', targetId: user.id, tenant, details: { changed } });
          await this.outbox.emit('user.updated', user.tenantId, { user: userEventData(user, tenant?.key ?? null), changed });
          if (billableChanged) await this.auditBillable(ctx, user, tenant);
        }
        return toUserView(user, tenant?.key ?? null);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateUser(err);
      throw err;
    }
  }

  async setBillable(ctx: RequestContext, id: string, billable: boolean): Promise<UserView> {
    return this.tx.run(async () => {
      const user = await this.findOrFail(ctx, id);
      const tenant = await this.tenantRef(ctx, user.tenantId);
      if (user.billable !== billable) {
        user.billable = billable;
        await this.users.save(user);
        await this.auditBillable(ctx, user, tenant);
      }
      return toUserView(user, tenant?.key ?? null);
    });
  }

  /** Deletes the user; the database removes its memberships with it. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async () => {
      const user = await this.findOrFail(ctx, id);
      if (user.isPlatformAdmin && user.status === 'active') await this.ensureAnotherAdmin(user.id);
      await this.users.delete(user.id);
      const tenant = await this.tenantRef(ctx, user.tenantId);
      await this.audit.record(ctx, {
        action: 'user.deleted',
        targetType: 'user',
        targetId: user.id,
        tenant,
        details: { email: user.email },
      });
      await this.outbox.emit('user.deleted', user.tenantId, { user: userEventData(user, tenant?.key ?? null) });
    });
  }

  /** For other modules: a user the caller may see, or null (plain data, never the entity). */
  async find(ctx: RequestContext, id: string): Promise<UserRef | null> {
    const u = await this.users.find(ctx, id);
    if (!u) return null;
    return {
      id,
      tenantId: u.tenantId,
      email: u.email,
      username: u.username,
      firstName: u.firstName,
      lastName: u.lastName,
      billable: u.billable,
      status: u.status,
      externalUid: u.externalUid,
      authenticatorEnabled: u.authenticatorEnabled,
      emailVerified: u.emailVerified,
      isPlatformAdmin: u.isPlatformAdmin,
      updatedAt: u.updatedAt,
    };
  }

  /**
   * A new password chosen through a mailed reset link (already hashed, the policy checked): the link
   * proved the address, so it counts as verified. Emits user.password_reset, on which whatever holds
   * the user's sign-ins elsewhere (the OpenID Connect provider) revokes them. Joins the caller's transaction.
   */
  async resetPassword(ctx: RequestContext, id: string, passwordHash: string): Promise<void> {
    await this.tx.run(async () => {
      const user = await this.findOrFail(ctx, id);
      user.passwordHash = passwordHash;
      user.emailVerified = true;
      await this.users.save(user);
      const tenant = await this.tenantRef(ctx, user.tenantId);
      await this.audit.record(ctx, {
        action: 'user.password_reset',
        targetType: 'user',
        targetId: user.id,
        tenant,
        details: { via: 'mail' },
      });
      await this.outbox.emit('user.password_reset', user.tenantId, { user: userEventData(user, tenant?.key ?? null) });
    });
  }

  /** Joins the caller's transaction. */
  private async auditBillable(ctx: RequestContext, user: User, tenant: TenantRef | null): Promise<void> {
    await this.tx.run(async () => {
      await this.audit.record(ctx, {
        action: 'user.billable_changed',
        targetType: 'user',
        targetId: user.id,
        tenant,
        details: { billable: user.billable },
      });
      await this.outbox.emit('user.billable_changed', user.tenantId, { user: userEventData(user, tenant?.key ?? null) });
    });
  }

  /** The platform administrators (people, not API tokens), by email. */
  async listPlatformAdmins(ctx: RequestContext): Promise<UserView[]> {
    if (!ctx.isPlatformAdmin) throw new ForbiddenError('Only platform administrators may list platform administrators');
    return (await this.users.platformAdmins()).map((u) => toUserView(u, null));
  }

  /** Someone must always be able to sign in to the console. Joins the caller's transaction, whose write it guards. */
  private async ensureAnotherAdmin(exceptId: string): Promise<void> {
    if (!(await this.users.countOtherActiveAdmins(exceptId)))
      throw new ConflictError('This is the last active platform administrator; create another one first');
  }

  /** The password policy of Global Configuration › Authentication, as a 400 naming the field. */
  private async checkPassword(password: string, tenantId: string | null): Promise<void> {
    const problem = await this.passwords.problem(password, tenantId);
    if (problem) throw new InvalidInputError(problem);
  }

  private async findOrFail(ctx: RequestContext, id: string): Promise<User> {
    const user = await this.users.find(ctx, id);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  /** The user's tenant: the calling tenant's own at once, any other looked up. */
  private tenantRef(ctx: RequestContext, tenantId: string | null): TenantRef | null | Promise<TenantRef | null> {
    if (!tenantId) return null;
    const own = callerTenant(ctx);
    return own?.id === tenantId ? own : this.tenants.findById(tenantId);
  }
}

export function toUserView(u: User, tenantKey: string | null): UserView {
  return {
    id: u.id,
    tenantKey,
    email: u.email,
    username: u.username,
    firstName: u.firstName,
    lastName: u.lastName,
    billable: u.billable,
    status: u.status,
    externalUid: u.externalUid,
    authenticatorEnabled: u.authenticatorEnabled,
    emailVerified: u.emailVerified,
    isPlatformAdmin: u.isPlatformAdmin,
    createdVia: u.createdVia,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

/** isPlatformAdmin on create: only from a platform administrator, for someone with no tenant and a password. */
function checkAdminCreation(ctx: RequestContext, dto: CreateUserDto, passwordPrepared: boolean): void {
  if (!ctx.isPlatformAdmin) throw new ForbiddenError('Only a platform administrator may create platform administrators (isPlatformAdmin)');
  if (dto.tenantKey) throw new InvalidInputError('tenantKey: a platform administrator belongs to no tenant; leave tenantKey out');
  if (!dto.password && !passwordPrepared)
    throw new InvalidInputError('password: a platform administrator signs in with a password; give one');
}
