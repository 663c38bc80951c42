import { Injectable } from '@nestjs/common';
import { AuditService, CryptoService, isUniqueViolation, RequestContext, TransactionService } from '@portico/core';
import { User } from './entities/user.entity';
import { UsersRepository } from './users.repository';

/** What the authentication side may know of a user. */
export interface LoginAccount {
  id: string;
  tenantId: string | null;
  email: string;
  username: string;
  firstName: string;
  lastName: string;
  status: User['status'];
  isPlatformAdmin: boolean;
  passwordHash: string | null;
  authenticatorEnabled: boolean;
  emailVerified: boolean;
  /** How the account came to be (signup, api, saml, ldap, …): says how someone without a password signs in. */
  createdVia: string;
}

/** Credential lookups and the platform-admin bootstrap, for the auth module. */
@Injectable()
export class UserCredentialsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly users: UsersRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
  ) {}

  /** Finds a user of a tenant (null: direct users and platform admins) by email or username. */
  async findByLogin(tenantId: string | null, login: string): Promise<LoginAccount | null> {
    const key = login.trim().toLowerCase();
    if (!key) return null;
    const user = await this.users.findByLogin(tenantId ?? null, key);
    return user ? toAccount(user) : null;
  }

  async findById(id: string): Promise<LoginAccount | null> {
    const user = await this.users.findAnyById(id);
    return user ? toAccount(user) : null;
  }

  /** Mirrors whether the user has an authenticator, for listings and the API. */
  async setAuthenticatorEnabled(userId: string, enabled: boolean): Promise<void> {
    await this.tx.run(() => this.users.setAuthenticatorEnabled(userId, enabled));
  }

  /** Replaces the user's password (already hashed, the policy already checked). Joins the caller's transaction. */
  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.tx.run(() => this.users.setPasswordHash(userId, passwordHash));
  }

  /** Marks the address verified (the person followed the mailed link). Joins the caller's transaction. */
  async markEmailVerified(userId: string): Promise<void> {
    await this.tx.run(() => this.users.setEmailVerified(userId));
  }

  /**
   * Gives the platform administrator with this email (no tenant) a new password, for an operator at
   * the command line who lost theirs; null when there is no such administrator.
   */
  async resetPlatformAdminPassword(ctx: RequestContext, email: string, password: string): Promise<LoginAccount | null> {
    const user = await this.users.findByLogin(null, email.trim().toLowerCase());
    if (!user?.isPlatformAdmin) return null;
    const passwordHash = await this.crypto.hashPassword(password);
    await this.tx.run(async () => {
      await this.users.setPasswordHash(user.id, passwordHash);
      await this.audit.record(ctx, { action: 'user.password_reset', targetType: 'user', targetId: user.id, details: { via: 'cli' } });
    });
    return toAccount(user);
  }

  async countPlatformAdmins(): Promise<number> {
    return this.users.countPlatformAdmins();
  }

  /**
   * Creates the first platform admin, unless there is one already: null then (another instance
   * starting at the same moment made it, or an earlier start did), so its caller announces nothing.
   */
  async createFirstPlatformAdmin(ctx: RequestContext, email: string, password: string): Promise<LoginAccount | null> {
    const passwordHash = await this.crypto.hashPassword(password);
    try {
      return await this.tx.run(async () => {
        if ((await this.users.countPlatformAdmins()) > 0) return null;
        const user = await this.users.create({
          tenantId: null,
          email,
          emailLower: email.toLowerCase(),
          username: email,
          usernameLower: email.toLowerCase(),
          isPlatformAdmin: true,
          passwordHash,
          createdVia: 'bootstrap',
        });
        await this.audit.record(ctx, {
          action: 'user.created',
          targetType: 'user',
          targetId: user.id,
          details: { email, platformAdmin: true },
        });
        return toAccount(user);
      });
    } catch (err) {
      // Lost a race to another process's insert of the same admin: theirs stands.
      if (isUniqueViolation(err) && (await this.countPlatformAdmins()) > 0) return null;
      throw err;
    }
  }
}

function toAccount(u: User): LoginAccount {
  return {
    id: u.id,
    tenantId: u.tenantId,
    email: u.email,
    username: u.username,
    firstName: u.firstName,
    lastName: u.lastName,
    status: u.status,
    isPlatformAdmin: u.isPlatformAdmin,
    passwordHash: u.passwordHash,
    authenticatorEnabled: u.authenticatorEnabled,
    emailVerified: u.emailVerified,
    createdVia: u.createdVia,
  };
}
