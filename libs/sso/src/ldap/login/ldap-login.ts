import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { FirstFactor, FirstFactorResult, FirstFactorRouter, FirstFactorRoutes, LoginAttempt } from '@portico/auth';
import type { TenantRef } from '@portico/tenants';
import { LoginAccount } from '@portico/users';
import { DirectoryClient, DirectoryError, type DirectoryEntry } from '../client/directory-client';
import { dnHash } from '../config/dn';
import { LdapRepository, type LoginDirectory } from '../ldap.repository';
import type { LdapAccount } from '../entities/ldap-account.entity';
import { DirectoryAccounts } from './directory-accounts';

export const DIRECTORY_UNAVAILABLE = 'The directory could not be reached. Try again in a moment.';

/**
 * Which sign-ins a directory checks (Keycloak's user federation is the model):
 * - the ldap method must be on for the page's tenant, and the tenant (null: direct users) must have an
 *   enabled directory of its own: tenant A's directory never serves tenant B's page;
 * - platform admins are always checked by Portico;
 * - a user linked to a directory is checked by that directory only;
 * - a Portico user with a Portico password, not linked, keeps it: a directory entry of the same
 *   name never takes the account over;
 * - anyone else (unknown, or a Portico account without a password) is looked up in the directories.
 */
@Injectable()
export class LdapLoginRouter implements FirstFactorRouter, OnModuleInit {
  constructor(
    private readonly routes: FirstFactorRoutes,
    private readonly store: LdapRepository,
    private readonly client: DirectoryClient,
    private readonly accounts: DirectoryAccounts,
  ) {}

  onModuleInit(): void {
    this.routes.register(this);
  }

  async route(attempt: LoginAttempt): Promise<FirstFactor | null> {
    const tenantId = attempt.tenant?.id ?? null;
    if (!attempt.methods.ldap) return null;
    const directories = await this.store.forLogin(tenantId);
    if (!directories.length) return null;
    const account = attempt.account;
    if (account?.isPlatformAdmin) return null;
    if (account) {
      const link = await this.store.accountOf(account.id);
      if (link) {
        const directory = directories.find((d) => d.id === link.directoryId);
        // Its directory is switched off: the account is Portico's alone until it is back.
        return directory ? new DirectoryCheck([directory], account, link, this.client, this.accounts) : null;
      }
      if (account.passwordHash) return null;
    }
    return new DirectoryCheck(directories, account, null, this.client, this.accounts);
  }
}

type Lookup = { kind: 'not-found' } | { kind: 'wrong-password' } | { kind: 'accepted'; entry: DirectoryEntry; groups: string[] };

/** One attempt's check: find the entry, bind as it with the password, then the Portico account. */
class DirectoryCheck implements FirstFactor {
  readonly method = 'ldap' as const;
  private readonly logger = new Logger('LdapLogin');

  constructor(
    private readonly directories: LoginDirectory[],
    private readonly account: LoginAccount | null,
    private readonly link: LdapAccount | null,
    private readonly client: DirectoryClient,
    private readonly accounts: DirectoryAccounts,
  ) {}

  async check(tenant: TenantRef | null, login: string, password: string): Promise<FirstFactorResult> {
    // An empty password would be an unauthenticated bind, which some servers answer with success.
    if (!password) return { ok: false, account: this.account, details: { refused: 'empty password' } };
    // A linked account is searched by the name it was linked with (the person may have typed their email).
    const username = this.link?.username ?? login.trim();
    let unreachable: DirectoryError | null = null;
    for (const directory of this.directories) {
      let lookup: Lookup;
      try {
        lookup = await this.lookup(directory, username, password);
      } catch (err) {
        if (!(err instanceof DirectoryError)) throw err;
        if (err.failure === 'ambiguous') {
          this.logger.warn(`Directory "${directory.name}" (${directory.id}): ${err.message}; the sign-in was refused`);
          return { ok: false, account: this.account, details: { directoryId: directory.id, refused: 'ambiguous' } };
        }
        this.logger.warn(`Directory "${directory.name}" (${directory.id}) failed (${err.failure}): ${err.message}`);
        unreachable ??= err;
        continue;
      }
      if (lookup.kind === 'not-found') continue;
      if (lookup.kind === 'wrong-password') return { ok: false, account: this.account, details: { directoryId: directory.id } };
      return this.accounts.accountFor(directory, tenant, this.account, lookup.entry, lookup.groups, login.trim());
    }
    if (unreachable)
      return {
        ok: false,
        account: this.account,
        unavailable: true,
        reason: DIRECTORY_UNAVAILABLE,
        details: { failure: unreachable.failure },
      };
    return { ok: false, account: this.account, details: { refused: 'not in the directory' } };
  }

  private lookup(directory: LoginDirectory, username: string, password: string): Promise<Lookup> {
    return this.client.run(directory.settings, async (session) => {
      const entry = await session.findUser(username);
      // A linked account follows its own entry: another entry answering to the name is someone else.
      if (!entry || (this.link && dnHash(entry.dn) !== this.link.dnHash)) {
        // A bind the directory refuses, so an unknown name costs what a wrong password costs.
        await session
          .checkPassword(`cn=portico-no-such-entry-${randomUUID()},${directory.settings.searchBase}`, password)
          .catch(() => false);
        return { kind: 'not-found' as const };
      }
      if (!(await session.checkPassword(entry.dn, password))) return { kind: 'wrong-password' as const };
      const groups = Object.keys(directory.groupRoleMapping).length ? await session.groupsOf(entry) : [];
      return { kind: 'accepted' as const, entry, groups };
    });
  }
}
