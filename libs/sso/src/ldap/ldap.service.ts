import { Injectable } from '@nestjs/common';
import { AuthSettingsService } from '@portico/auth';
import {
  AuditService,
  ConflictError,
  CryptoService,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  Page,
  PageQueryDto,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { directoryProblems, usesTls } from './config/directory-check';
import { PRESET_DEFAULTS, type AttributeMapping } from './config/presets';
import { DirectoryTester } from './directory-tester';
import {
  AttributeMappingDto,
  CreateLdapDirectoryDto,
  LdapDirectoryView,
  LdapTestResultView,
  TestLdapDirectoryDto,
  UpdateLdapDirectoryDto,
} from './dto/ldap-directory.dto';
import type { LdapDirectory } from './entities/ldap-directory.entity';
import { LdapRepository } from './ldap.repository';

const DUPLICATE = 'A directory with that name already exists for this tenant (or among the global directories)';

export interface LdapDirectoryQuery extends PageQueryDto {
  /** A tenant's key, or null for the global directories; undefined: all. */
  tenantKey?: string | null;
}

/**
 * LDAP / Active Directory directories (the facade): a tenant's own or global ones, their settings
 * (the bind password encrypted, never returned) and the "test" action. Sign-ins through them are
 * this module's FirstFactorRouter (login/ldap-login.ts).
 */
@Injectable()
export class LdapService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly crypto: CryptoService,
    private readonly tenants: TenantsService,
    private readonly store: LdapRepository,
    private readonly tester: DirectoryTester,
    private readonly authSettings: AuthSettingsService,
  ) {}

  async list(query: LdapDirectoryQuery = {}): Promise<Page<LdapDirectoryView>> {
    const resolveTenant = async (key: string) => (await this.tenants.findByKey(key))?.id ?? null;
    return this.store.list(query, resolveTenant, async (rows) => {
      const tenants = await this.tenants.findByIds(rows.map((d) => d.tenantId).filter((id): id is string => !!id));
      const counts = await this.store.accountCounts(rows.map((d) => d.id));
      return rows.map((d) => toView(d, d.tenantId ? (tenants.get(d.tenantId)?.key ?? null) : null, counts.get(d.id) ?? 0));
    });
  }

  async get(id: string): Promise<LdapDirectoryView> {
    const d = await this.findOrFail(id);
    return toView(d, await this.tenantKey(d.tenantId), await this.linkedUsers(d.id));
  }

  /** Whether sign-ins on a page (a tenant's, or null: /login) go to a directory: LDAP is on there and an enabled directory serves it. */
  async servesLoginPage(tenantId: string | null): Promise<boolean> {
    return (await this.authSettings.isMethodEnabled(tenantId, 'ldap')) && (await this.store.countForLogin(tenantId)) > 0;
  }

  async create(ctx: RequestContext, dto: CreateLdapDirectoryDto): Promise<LdapDirectoryView> {
    const tenant = await this.resolveTenant(dto.tenantKey ?? null);
    const preset = dto.preset ?? 'openldap';
    const defaults = PRESET_DEFAULTS[preset];
    const directory = this.store.newDirectory({
      tenantId: tenant?.id ?? null,
      name: dto.name,
      url: dto.url,
      preset,
      bindDn: dto.bindDn ?? null,
      bindPasswordEncrypted: dto.bindPassword ? this.crypto.encrypt(dto.bindPassword) : null,
      searchBase: dto.searchBase,
      searchFilter: dto.searchFilter ?? defaults.searchFilter,
      startTls: dto.startTls ?? false,
      caCertificate: dto.caCertificate?.trim() || null,
      attributeMapping: mergeMapping(defaults.attributeMapping, dto.attributeMapping),
      groupSearchBase: dto.groupSearchBase ?? null,
      groupSearchFilter: dto.groupSearchFilter !== undefined ? dto.groupSearchFilter : defaults.groupSearchFilter,
      groupRoleMapping: dto.groupRoleMapping ?? {},
      jitProvisioning: dto.jitProvisioning ?? false,
      enabled: dto.enabled ?? true,
      timeoutMs: dto.timeoutMs ?? 5000,
    });
    this.check(directory);
    try {
      return await this.tx.run(async () => {
        await this.store.saveDirectory(directory);
        await this.audit.record(ctx, {
          action: 'ldap_directory.created',
          targetType: 'ldap_directory',
          targetId: directory.id,
          tenant,
          details: { name: directory.name, url: directory.url, preset, bindPasswordSet: !!directory.bindPasswordEncrypted },
        });
        return toView(directory, tenant?.key ?? null, 0);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(DUPLICATE);
      throw err;
    }
  }

  async update(ctx: RequestContext, id: string, dto: UpdateLdapDirectoryDto): Promise<LdapDirectoryView> {
    try {
      return await this.tx.run(async () => {
        const d = await this.findOrFail(id);
        const tenant = d.tenantId ? await this.tenants.findById(d.tenantId) : null;
        if (dto.tenantKey !== undefined && (dto.tenantKey ?? null) !== (tenant?.key ?? null))
          throw new InvalidInputError('tenantKey cannot be changed: create a directory for the other tenant instead');
        const before = { ...d, attributeMapping: { ...d.attributeMapping }, groupRoleMapping: { ...d.groupRoleMapping } };
        if (dto.preset !== undefined && dto.preset !== d.preset) {
          // A new preset brings its own filter and attributes, unless they are given alongside it.
          const defaults = PRESET_DEFAULTS[dto.preset];
          d.preset = dto.preset;
          d.searchFilter = defaults.searchFilter;
          d.attributeMapping = { ...defaults.attributeMapping };
          d.groupSearchFilter = defaults.groupSearchFilter;
        }
        if (dto.name !== undefined) d.name = dto.name;
        if (dto.url !== undefined) d.url = dto.url;
        if (dto.bindDn !== undefined) d.bindDn = dto.bindDn;
        if (dto.bindPassword !== undefined) d.bindPasswordEncrypted = dto.bindPassword ? this.crypto.encrypt(dto.bindPassword) : null;
        // Removing the service account removes its password: a password alone is of no use.
        if (dto.bindDn === null && dto.bindPassword === undefined) d.bindPasswordEncrypted = null;
        if (dto.searchBase !== undefined) d.searchBase = dto.searchBase;
        if (dto.searchFilter !== undefined) d.searchFilter = dto.searchFilter;
        if (dto.startTls !== undefined) d.startTls = dto.startTls;
        if (dto.caCertificate !== undefined) d.caCertificate = dto.caCertificate?.trim() || null;
        if (dto.attributeMapping !== undefined) d.attributeMapping = mergeMapping(d.attributeMapping, dto.attributeMapping);
        if (dto.groupSearchBase !== undefined) d.groupSearchBase = dto.groupSearchBase;
        if (dto.groupSearchFilter !== undefined) d.groupSearchFilter = dto.groupSearchFilter;
        if (dto.groupRoleMapping !== undefined) d.groupRoleMapping = dto.groupRoleMapping;
        if (dto.jitProvisioning !== undefined) d.jitProvisioning = dto.jitProvisioning;
        if (dto.enabled !== undefined) d.enabled = dto.enabled;
        if (dto.timeoutMs !== undefined) d.timeoutMs = dto.timeoutMs;
        this.check(d);
        const changed = (Object.keys(before) as (keyof LdapDirectory)[]).filter(
          (k) => k !== 'updatedAt' && JSON.stringify(before[k]) !== JSON.stringify(d[k]),
        );
        if (changed.length) {
          await this.store.saveDirectory(d);
          // Field names only: the encrypted column changes on every write and says nothing to a reader.
          await this.audit.record(ctx, {
            action: 'ldap_directory.updated',
            targetType: 'ldap_directory',
            targetId: d.id,
            tenant,
            details: { name: d.name, changed: changed.map((k) => k.replace(/Encrypted$/, '')) },
          });
        }
        return toView(d, tenant?.key ?? null, await this.linkedUsers(d.id));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(DUPLICATE);
      throw err;
    }
  }

  /** Deletes the directory; the users it checked stay, unlinked (they need a Portico password or another directory). */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async () => {
      const d = await this.findOrFail(id);
      await this.store.deleteDirectory(d.id);
      await this.audit.record(ctx, {
        action: 'ldap_directory.deleted',
        targetType: 'ldap_directory',
        targetId: d.id,
        tenant: d.tenantId ? await this.tenants.findById(d.tenantId) : null,
        details: { name: d.name },
      });
    });
  }

  /** "Test": searches (and, given a password, binds as) one user and shows what a sign-in would map. Creates nothing. */
  async test(ctx: RequestContext, id: string, dto: TestLdapDirectoryDto): Promise<LdapTestResultView> {
    const d = await this.findOrFail(id);
    const result = await this.tester.test(d.tenantId, this.store.settingsOf(d), dto.username, dto.password);
    await this.tx.run(() =>
      this.audit.record(ctx, {
        action: 'ldap_directory.tested',
        targetType: 'ldap_directory',
        targetId: d.id,
        details: { username: dto.username, withPassword: !!dto.password, outcome: result.outcome, failure: result.failure },
      }),
    );
    return result;
  }

  private check(d: LdapDirectory): void {
    const problems = directoryProblems(this.store.settingsOf(d));
    if (problems.length) throw new InvalidInputError(problems.join('; '));
  }

  private async resolveTenant(key: string | null): Promise<TenantRef | null> {
    if (key === null) return null;
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) throw new InvalidInputError(`tenantKey "${key}" does not name a tenant`);
    return tenant;
  }

  private async findOrFail(id: string): Promise<LdapDirectory> {
    const d = await this.store.findDirectory(id);
    if (!d) throw new NotFoundError('LDAP directory');
    return d;
  }

  private async linkedUsers(id: string): Promise<number> {
    return (await this.store.accountCounts([id])).get(id) ?? 0;
  }

  private async tenantKey(tenantId: string | null): Promise<string | null> {
    return tenantId ? ((await this.tenants.findById(tenantId))?.key ?? null) : null;
  }
}

function mergeMapping(base: AttributeMapping, given: AttributeMappingDto | undefined): AttributeMapping {
  const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
  return { ...base, ...defined };
}

function toView(d: LdapDirectory, tenantKey: string | null, linkedUsers: number): LdapDirectoryView {
  return {
    id: d.id,
    tenantKey,
    name: d.name,
    url: d.url,
    preset: d.preset,
    bindDn: d.bindDn,
    bindPasswordSet: !!d.bindPasswordEncrypted,
    searchBase: d.searchBase,
    searchFilter: d.searchFilter,
    startTls: d.startTls,
    caCertificate: d.caCertificate,
    attributeMapping: { ...d.attributeMapping },
    groupSearchBase: d.groupSearchBase,
    groupSearchFilter: d.groupSearchFilter,
    groupRoleMapping: { ...d.groupRoleMapping },
    jitProvisioning: d.jitProvisioning,
    enabled: d.enabled,
    timeoutMs: d.timeoutMs,
    linkedUsers,
    transport: /^ldaps:/i.test(d.url) ? 'ldaps' : usesTls(d) ? 'starttls' : 'plain',
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}
