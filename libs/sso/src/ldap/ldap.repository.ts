import { Injectable } from '@nestjs/common';
import { CryptoService, Page, PageQueryDto, RequestContext, scopedList, TransactionService } from '@portico/core';
import { DeepPartial, IsNull } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { DirectorySettings } from './config/directory-check';
import { dnHash } from './config/dn';
import type { GroupRoleMapping } from './config/presets';
import { LdapAccount } from './entities/ldap-account.entity';
import { LdapDirectory } from './entities/ldap-directory.entity';

/** A directory as the sign-in path needs it: settings with the bind password readable. */
export interface LoginDirectory {
  id: string;
  name: string;
  tenantId: string | null;
  jitProvisioning: boolean;
  groupRoleMapping: GroupRoleMapping;
  settings: DirectorySettings;
}

/**
 * Every query of the LDAP module: directories and directory-linked accounts. Nothing outside the
 * module sees it; writes join the caller's transaction (`tx.run` around the call).
 */
@Injectable()
export class LdapRepository {
  constructor(
    private readonly tx: TransactionService,
    private readonly crypto: CryptoService,
  ) {}

  /**
   * A page of directories by name: one tenant's (`tenantKey`), the global ones (null), or all
   * (undefined). Only platform admins list directories, hence the system's scope.
   */
  list<T>(
    query: PageQueryDto & { tenantKey?: string | null },
    resolveTenant: (key: string) => Promise<string | null>,
    map: (rows: LdapDirectory[]) => Promise<T[]>,
  ): Promise<Page<T>> {
    const qb = this.tx.manager.createQueryBuilder(LdapDirectory, 'd').orderBy('d.name', 'ASC').addOrderBy('d.id', 'ASC');
    if (query.tenantKey === null) qb.where('d.tenant_id IS NULL');
    const tenantKey = query.tenantKey ?? undefined;
    return scopedList(RequestContext.system('ldap-directories'), qb, query, { tenantColumn: 'd.tenant_id', tenantKey, resolveTenant }, map);
  }

  findDirectory(id: string): Promise<LdapDirectory | null> {
    return this.tx.manager.findOneBy(LdapDirectory, { id });
  }

  newDirectory(fields: DeepPartial<LdapDirectory>): LdapDirectory {
    return this.tx.manager.create(LdapDirectory, fields);
  }

  async saveDirectory(d: LdapDirectory): Promise<void> {
    await this.tx.manager.save(d);
  }

  async deleteDirectory(id: string): Promise<void> {
    await this.tx.manager.delete(LdapDirectory, { id });
  }

  /** The enabled directories serving one tenant's sign-in page (null: the global ones, for direct users), oldest first. */
  async forLogin(tenantId: string | null): Promise<LoginDirectory[]> {
    const rows = await this.tx.manager.find(LdapDirectory, {
      where: { tenantId: tenantId ?? IsNull(), enabled: true },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.map((d) => this.toLogin(d));
  }

  async countForLogin(tenantId: string | null): Promise<number> {
    return this.tx.manager.countBy(LdapDirectory, { tenantId: tenantId ?? IsNull(), enabled: true });
  }

  async byId(id: string): Promise<LoginDirectory | null> {
    const row = await this.tx.manager.findOneBy(LdapDirectory, { id });
    return row ? this.toLogin(row) : null;
  }

  settingsOf(d: LdapDirectory): DirectorySettings {
    return {
      url: d.url,
      bindDn: d.bindDn,
      bindPassword: d.bindPasswordEncrypted ? this.crypto.decrypt(d.bindPasswordEncrypted) : null,
      searchBase: d.searchBase,
      searchFilter: d.searchFilter,
      startTls: d.startTls,
      caCertificate: d.caCertificate,
      attributeMapping: d.attributeMapping,
      groupSearchBase: d.groupSearchBase,
      groupSearchFilter: d.groupSearchFilter,
      groupRoleMapping: d.groupRoleMapping,
      timeoutMs: d.timeoutMs,
    };
  }

  accountOf(userId: string): Promise<LdapAccount | null> {
    return this.tx.manager.findOneBy(LdapAccount, { userId });
  }

  /** The user an entry of this directory is linked to, if any. */
  async userOfEntry(directoryId: string, dn: string): Promise<string | null> {
    return (await this.tx.manager.findOneBy(LdapAccount, { directoryId, dnHash: dnHash(dn) }))?.userId ?? null;
  }

  /** Records that the entry is this user's; the unique constraints refuse a second user for one entry. */
  async link(directoryId: string, userId: string, dn: string, username: string): Promise<void> {
    const m = this.tx.manager;
    const row = m.create(LdapAccount, { directoryId, userId, dn: dn.slice(0, 1024), dnHash: dnHash(dn), username: username.slice(0, 320) });
    await m.insert(LdapAccount, row as QueryDeepPartialEntity<LdapAccount>);
  }

  /** How many Portico users each directory checks. */
  async accountCounts(directoryIds: string[]): Promise<Map<string, number>> {
    if (!directoryIds.length) return new Map();
    const rows = await this.tx.manager
      .createQueryBuilder(LdapAccount, 'a')
      .select('a.directory_id', 'directoryId')
      .addSelect('COUNT(*)', 'count')
      .where('a.directory_id IN (:...ids)', { ids: directoryIds })
      .groupBy('a.directory_id')
      .getRawMany<{ directoryId: string; count: string | number }>();
    return new Map(rows.map((r) => [r.directoryId, Number(r.count)]));
  }

  private toLogin(d: LdapDirectory): LoginDirectory {
    return {
      id: d.id,
      name: d.name,
      tenantId: d.tenantId,
      jitProvisioning: d.jitProvisioning,
      groupRoleMapping: d.groupRoleMapping,
      settings: this.settingsOf(d),
    };
  }
}
