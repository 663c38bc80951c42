import { Injectable } from '@nestjs/common';
import { AuditService, findOneFast, findRows, InvalidInputError, NotFoundError, RequestContext, TransactionService } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { AuthSettings } from '../entities/auth-settings.entity';
import { MethodFlags, TenantAuthSettings } from '../entities/tenant-auth-settings.entity';
import { AuthSettingsView, TenantSettingsView, UpdateAuthSettingsDto, UpdateTenantSettingsDto } from './auth-settings.dto';

export type LoginMethod = keyof MethodFlags;

/**
 * Global Configuration › Authentication and the tenants' overrides. Read from the database on every
 * use, so a change takes effect on the next request on every instance.
 */
@Injectable()
export class AuthSettingsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
  ) {}

  async global(): Promise<AuthSettingsView> {
    return toView(await this.row());
  }

  async updateGlobal(ctx: RequestContext, dto: UpdateAuthSettingsDto): Promise<AuthSettingsView> {
    return this.tx.run(async (m) => {
      const row = await this.row();
      if (dto.methods) {
        row.methodPassword = dto.methods.password;
        row.methodSaml = dto.methods.saml;
        row.methodLdap = dto.methods.ldap;
        row.methodExternal = dto.methods.external;
      }
      if (dto.signupEnabled !== undefined) row.signupEnabled = dto.signupEnabled;
      if (dto.sessionIdleMinutes !== undefined) row.sessionIdleMinutes = dto.sessionIdleMinutes;
      if (dto.lockout) Object.assign(row, definedOnly(dto.lockout));
      if (row.baseWaitSeconds > row.maxWaitSeconds)
        throw new InvalidInputError('lockout.baseWaitSeconds must not exceed lockout.maxWaitSeconds');
      await m.save(row);
      await this.audit.record(m, ctx, {
        action: 'settings.authentication.updated',
        targetType: 'settings',
        targetId: 'authentication',
        details: { fields: Object.keys(dto) },
      });
      return toView(row);
    });
  }

  async forTenant(key: string): Promise<TenantSettingsView> {
    const tenant = await this.tenantOrFail(key);
    const own = await this.tx.manager.findOneBy(TenantAuthSettings, { tenantId: tenant.id });
    return {
      signupEnabled: own?.signupEnabled ?? null,
      methods: own?.methods ?? null,
      effective: await this.effective(tenant.id),
      ...(await this.tenants.integration(tenant.id)),
    };
  }

  async updateTenant(ctx: RequestContext, key: string, dto: UpdateTenantSettingsDto): Promise<TenantSettingsView> {
    const tenant = await this.tenantOrFail(key);
    await this.tx.run(async (m) => {
      const row = (await m.findOneBy(TenantAuthSettings, { tenantId: tenant.id })) ?? m.create(TenantAuthSettings, { tenantId: tenant.id });
      if (dto.signupEnabled !== undefined) row.signupEnabled = dto.signupEnabled;
      if (dto.methods !== undefined) row.methods = dto.methods ? { ...dto.methods } : null;
      await m.save(row);
      await this.tenants.updateIntegration(m, tenant.id, dto);
      await this.audit.record(m, ctx, {
        action: 'tenant.settings.updated',
        targetType: 'tenant',
        targetId: tenant.id,
        tenant,
        details: { fields: Object.keys(dto) },
      });
    });
    return this.forTenant(key);
  }

  /** The settings that apply to a tenant's users (null: direct customers), overrides applied. */
  async effective(tenantId: string | null): Promise<AuthSettingsView> {
    const global = toView(await this.row());
    if (!tenantId) return global;
    const own = await findOneFast(this.tx.manager, TenantAuthSettings, { tenantId });
    return {
      ...global,
      signupEnabled: own?.signupEnabled ?? global.signupEnabled,
      methods: own?.methods ?? global.methods,
    };
  }

  async isMethodEnabled(tenantId: string | null, method: LoginMethod): Promise<boolean> {
    return (await this.effective(tenantId)).methods[method];
  }

  private async row(): Promise<AuthSettings> {
    const rows = await findRows(this.tx.manager, AuthSettings, {}, { orderBy: { createdAt: 'ASC' }, limit: 1 });
    return rows[0] ?? this.tx.manager.create(AuthSettings, {});
  }

  private async tenantOrFail(key: string): Promise<TenantRef> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) throw new NotFoundError(`Tenant "${key}"`);
    return tenant;
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toView(s: AuthSettings): AuthSettingsView {
  return {
    methods: { password: s.methodPassword, saml: s.methodSaml, ldap: s.methodLdap, external: s.methodExternal },
    signupEnabled: s.signupEnabled,
    sessionIdleMinutes: s.sessionIdleMinutes,
    lockout: {
      maxPasswordFailures: s.maxPasswordFailures,
      maxAuthenticatorFailures: s.maxAuthenticatorFailures,
      baseWaitSeconds: s.baseWaitSeconds,
      maxWaitSeconds: s.maxWaitSeconds,
    },
  };
}
