import { Injectable, Logger } from '@nestjs/common';
import type { FirstFactorResult } from '@portico/auth';
import { AuditService, ConflictError, isUniqueViolation, RequestContext, TransactionService } from '@portico/core';
import { IdentityMapService } from '@portico/identity-map';
import type { TenantRef } from '@portico/tenants';
import { LoginAccount, UserCredentialsService, UsersService } from '@portico/users';
import { isEmail } from 'class-validator';
import type { DirectoryEntry } from '../client/directory-client';
import { LdapRepository, type LoginDirectory } from '../ldap.repository';
import { GroupRoles } from './group-roles';

export const NOT_PROVISIONED =
  'The directory accepted your password, but you have no Portico account yet. Ask your administrator for access.';
export const NOT_CREATED = 'The directory accepted your password, but Portico could not set up your account. Ask your administrator.';

/** The entry's first value of a mapped attribute, trimmed, or null. */
export function attributeOf(entry: DirectoryEntry, attribute: string): string | null {
  const value = entry.attributes[attribute.toLowerCase()]?.[0]?.trim();
  return value ? value : null;
}

const sameText = (a: string | null, b: string | null) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/**
 * What happens once a directory accepted a password: the Portico account the entry is linked to,
 * or a passwordless account of the same name linked to it now, or (with JIT provisioning) a new
 * account in the directory's tenant. Memberships follow the group mapping on every sign-in.
 */
@Injectable()
export class DirectoryAccounts {
  private readonly logger = new Logger('LdapLogin');

  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly store: LdapRepository,
    private readonly groupRoles: GroupRoles,
    private readonly users: UsersService,
    private readonly credentials: UserCredentialsService,
    private readonly identityMap: IdentityMapService,
  ) {}

  async accountFor(
    directory: LoginDirectory,
    tenant: TenantRef | null,
    claimed: LoginAccount | null,
    entry: DirectoryEntry,
    groups: string[],
    typed: string,
  ): Promise<FirstFactorResult> {
    const details = { directoryId: directory.id };
    const refuse = (why: string, reason = NOT_CREATED): FirstFactorResult => {
      this.logger.warn(`Directory "${directory.name}" (${directory.id}) accepted ${entry.dn}, but no one was signed in: ${why}`);
      return { ok: false, account: claimed, reason, details: { ...details, refused: why } };
    };
    const linkedUserId = await this.store.userOfEntry(directory.id, entry.dn);
    if (linkedUserId) {
      if (claimed && claimed.id !== linkedUserId) return refuse('the entry is linked to another Portico account');
      const account = claimed ?? (await this.credentials.findById(linkedUserId));
      if (!account) return refuse('the linked account is gone');
      await this.groupRoles.apply(directory.tenantId, directory.groupRoleMapping, account.id, groups);
      return { ok: true, account, details };
    }
    const map = directory.settings.attributeMapping;
    const username = (attributeOf(entry, map.username) ?? typed).slice(0, 320);
    const email = attributeOf(entry, map.email);
    if (claimed) {
      // A Portico account without a password and not linked yet: the entry must carry its name.
      if (!sameText(username, claimed.username) && !sameText(email, claimed.email) && !sameText(username, claimed.email))
        return refuse(`the entry names neither "${claimed.username}" nor "${claimed.email}"`);
      return this.linkAndMap(directory, tenant, claimed, entry, username, groups, { ...details, linked: true }, refuse);
    }
    if (!directory.jitProvisioning) return refuse('JIT provisioning is off and no Portico account is linked', NOT_PROVISIONED);
    if (!email || !isEmail(email) || email.length > 320) return refuse(`the entry has no valid email address in ${map.email}`);
    // A name from the directory must not land on someone else's account (by username or email).
    for (const name of new Set([username, email])) {
      if (await this.credentials.findByLogin(tenant?.id ?? null, name))
        return refuse(`"${name}" already belongs to another Portico account`);
    }
    const ctx = RequestContext.system('ldap');
    try {
      const account = await this.tx.run(async () => {
        const created = await this.users.create(
          ctx,
          {
            email,
            username,
            firstName: (attributeOf(entry, map.firstName) ?? '').slice(0, 100),
            lastName: (attributeOf(entry, map.lastName) ?? '').slice(0, 100),
            tenantKey: tenant?.key,
          },
          'ldap',
        );
        await this.link(directory, tenant, created.id, entry, username);
        await this.groupRoles.apply(directory.tenantId, directory.groupRoleMapping, created.id, groups);
        return this.credentials.findById(created.id);
      });
      return account ? { ok: true, account, details: { ...details, created: true } } : refuse('the new account vanished');
    } catch (err) {
      if (err instanceof ConflictError || isUniqueViolation(err))
        return refuse('the email, username or entry was taken at the same moment');
      throw err;
    }
  }

  private async linkAndMap(
    directory: LoginDirectory,
    tenant: TenantRef | null,
    account: LoginAccount,
    entry: DirectoryEntry,
    username: string,
    groups: string[],
    details: Record<string, unknown>,
    refuse: (why: string) => FirstFactorResult,
  ): Promise<FirstFactorResult> {
    try {
      await this.tx.run(async () => {
        await this.link(directory, tenant, account.id, entry, username);
        await this.groupRoles.apply(directory.tenantId, directory.groupRoleMapping, account.id, groups);
      });
      return { ok: true, account, details };
    } catch (err) {
      if (err instanceof ConflictError || isUniqueViolation(err)) return refuse('the entry or the account is already linked elsewhere');
      throw err;
    }
  }

  /**
   * The link this module signs in by, and the tenant's identity map entry (provider ldap) that others
   * read; inside the caller's transaction.
   */
  private async link(
    directory: LoginDirectory,
    tenant: TenantRef | null,
    userId: string,
    entry: DirectoryEntry,
    username: string,
  ): Promise<void> {
    await this.tx.run(async () => {
      await this.store.link(directory.id, userId, entry.dn, username);
      // The identity map is per tenant (direct users have none) and holds ids of up to 255 characters.
      const mapped = !!tenant && entry.dn.length <= 255;
      if (mapped) await this.identityMap.link({ tenantId: tenant.id, provider: 'ldap', entityType: 'user' }, userId, entry.dn);
      await this.audit.record(RequestContext.system('ldap'), {
        action: 'ldap.account.linked',
        targetType: 'user',
        targetId: userId,
        tenant,
        details: { directoryId: directory.id, dn: entry.dn, identityMap: mapped },
      });
    });
  }
}
