import { Injectable } from '@nestjs/common';
import { AuditService, InvalidInputError, NotFoundError, RequestContext, TransactionService } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { AuthRepository } from '../auth.repository';
import type { AuthSettings } from '../entities/auth-settings.entity';
import type { MethodFlags } from '../entities/tenant-auth-settings.entity';
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
    private readonly repository: AuthRepository,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
  ) {}

  async global(): Promise<AuthSettingsView> {
    return toView(await this.repository.globalSettings());
  }

  async updateGlobal(ctx: RequestContext, dto: UpdateAuthSettingsDto): Promise<AuthSettingsView> {
    return this.tx.run(async () => {
      const row = await this.repository.globalSettings();
      if (dto.methods) {
        row.methodPassword = dto.methods.password;
        row.methodSaml = dto.methods.saml;
        row.methodLdap = dto.methods.ldap;
        row.methodExternal = dto.methods.external;
        if (dto.methods.oidc !== undefined) row.methodOidc = dto.methods.oidc;
      }
      if (dto.signupEnabled !== undefined) row.signupEnabled = dto.signupEnabled;
      if (dto.sessionIdleMinutes !== undefined) row.sessionIdleMinutes = dto.sessionIdleMinutes;
      if (dto.lockout) Object.assign(row, definedOnly(dto.lockout));
      if (dto.emailVerification !== undefined) row.emailVerification = dto.emailVerification;
      if (dto.passwordPolicy?.minLength !== undefined) row.passwordMinLength = dto.passwordPolicy.minLength;
      if (dto.passwordPolicy?.disallowCommon !== undefined) row.passwordDisallowCommon = dto.passwordPolicy.disallowCommon;
      if (dto.requireAuthenticatorForAdmins !== undefined) row.requireAuthenticatorForAdmins = dto.requireAuthenticatorForAdmins;
      if (row.baseWaitSeconds > row.maxWaitSeconds)
        throw new InvalidInputError('lockout.baseWaitSeconds must not exceed lockout.maxWaitSeconds');
      await this.repository.saveGlobalSettings(row);
      await this.audit.record(ctx, {
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
    const own = await this.repository.tenantSettings(tenant.id);
    return {
      signupEnabled: own?.signupEnabled ?? null,
      methods: own?.methods ? withOidc(own.methods) : null,
      emailVerification: own?.emailVerification ?? null,
      effective: await this.effective(tenant.id),
      ...(await this.tenants.integration(tenant.id)),
    };
  }

  async updateTenant(ctx: RequestContext, key: string, dto: UpdateTenantSettingsDto): Promise<TenantSettingsView> {
    const tenant = await this.tenantOrFail(key);
    await this.tx.run(async () => {
      const row = (await this.repository.tenantSettings(tenant.id)) ?? this.repository.newTenantSettings(tenant.id);
      if (dto.signupEnabled !== undefined) row.signupEnabled = dto.signupEnabled;
      if (dto.methods !== undefined) row.methods = dto.methods ? withOidc({ ...row.methods, ...dto.methods }) : null;
      if (dto.emailVerification !== undefined) row.emailVerification = dto.emailVerification;
      await this.repository.saveTenantSettings(row);
      await this.tenants.updateIntegration(tenant.id, dto);
      await this.audit.record(ctx, {
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
    const global = toView(await this.repository.globalSettings());
    if (!tenantId) return global;
    const own = await this.repository.tenantSettingsFast(tenantId);
    return {
      ...global,
      signupEnabled: own?.signupEnabled ?? global.signupEnabled,
      methods: own?.methods ? withOidc(own.methods) : global.methods,
      emailVerification: own?.emailVerification ?? global.emailVerification,
    };
  }

  async isMethodEnabled(tenantId: string | null, method: LoginMethod): Promise<boolean> {
    return (await this.effective(tenantId)).methods[method];
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

/** A tenant's own methods saved before OpenID Connect sign-in existed say nothing about it: off. */
function withOidc(methods: Partial<MethodFlags>): MethodFlags {
  return {
    password: !!methods.password,
    saml: !!methods.saml,
    ldap: !!methods.ldap,
    external: !!methods.external,
    oidc: !!methods.oidc,
  };
}

function toView(s: AuthSettings): AuthSettingsView {
  return {
    methods: { password: s.methodPassword, saml: s.methodSaml, ldap: s.methodLdap, external: s.methodExternal, oidc: s.methodOidc },
    signupEnabled: s.signupEnabled,
    sessionIdleMinutes: s.sessionIdleMinutes,
    lockout: {
      maxPasswordFailures: s.maxPasswordFailures,
      maxAuthenticatorFailures: s.maxAuthenticatorFailures,
      baseWaitSeconds: s.baseWaitSeconds,
      maxWaitSeconds: s.maxWaitSeconds,
    },
    emailVerification: s.emailVerification,
    passwordPolicy: { minLength: s.passwordMinLength, disallowCommon: s.passwordDisallowCommon },
    requireAuthenticatorForAdmins: s.requireAuthenticatorForAdmins,
  };
}
