import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import {
  AuditService,
  Broadcast,
  ConflictError,
  CryptoService,
  ForbiddenError,
  InvalidInputError,
  isUniqueViolation,
  NotFoundError,
  OutboxService,
  Page,
  PageQueryDto,
  RequestContext,
  TransactionService,
  urlProblem,
} from '@portico/core';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView, CreateTenantDto, TenantView, UpdateTenantDto } from './dto/tenant.dto';
import { ApiKeyCache } from './api-key-cache';
import { TenantBillingApi, TenantIntegrationView, UpdateTenantIntegrationDto } from './dto/tenant-integration.dto';
import { TenantApiKey } from './entities/tenant-api-key.entity';
import { TenantIntegration } from './entities/tenant-integration.entity';
import { Tenant } from './entities/tenant.entity';
import { TenantRateLimits } from './rate-limit/tenant-rate-limits';
import { TenantsRepository } from './tenants.repository';

// Ids other instances must drop from their key cache (published by the instance that made the change).
const KEY_REVOKED = 'tenants.api-key-revoked';
const TENANT_CHANGED = 'tenants.tenant-changed';

export interface TenantRef {
  id: string;
  key: string;
  name: string;
  status: Tenant['status'];
}

/** The tenants facade: partner portals, their status and their API keys. Platform-admin operations. */
@Injectable()
export class TenantsService {
  private readonly keyCache = new ApiKeyCache();

  constructor(
    private readonly tx: TransactionService,
    private readonly tenants: TenantsRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly broadcast: Broadcast,
    private readonly outbox: OutboxService,
    private readonly rateLimits: TenantRateLimits,
  ) {
    broadcast.subscribe(KEY_REVOKED, (keyId) => this.keyCache.forgetKey(keyId));
    broadcast.subscribe(TENANT_CHANGED, (tenantId) => this.keyCache.forgetTenant(tenantId));
  }

  /**
   * Counts one JSON API call made with the tenant's key against its rate limit (its own, or the
   * global default): the RateLimit fields on `res`, and past the limit a 429 with Retry-After.
   */
  enforceRateLimit(tenantId: string, res: Response): Promise<void> {
    return this.rateLimits.enforce(tenantId, res);
  }

  list(query: PageQueryDto & { search?: string }): Promise<Page<TenantView>> {
    return this.tenants.list(query, (rows) => rows.map(toTenantView));
  }

  async get(key: string): Promise<TenantView> {
    return toTenantView(await this.findByKeyOrFail(key));
  }

  /** Resolves a tenant key to its reference, for other modules; null when unknown. */
  async findByKey(key: string): Promise<TenantRef | null> {
    const tenant = await this.tenants.findByKey(key);
    return tenant ? toRef(tenant) : null;
  }

  async findById(id: string): Promise<TenantRef | null> {
    const tenant = await this.tenants.findById(id);
    return tenant ? toRef(tenant) : null;
  }

  /** Several tenants at once, keyed by id (for listings that show tenant keys). */
  async findByIds(ids: string[]): Promise<Map<string, TenantRef>> {
    const unique = [...new Set(ids)];
    if (!unique.length) return new Map();
    const rows = await this.tenants.findByIds(unique);
    return new Map(rows.map((t) => [t.id, toRef(t)]));
  }

  /**
   * The tenant a new record belongs to. A tenant caller always writes into its own tenant (naming
   * another is refused); a platform admin names one by key, or none for a direct customer.
   */
  async resolveOwner(ctx: RequestContext, tenantKey: string | null | undefined): Promise<TenantRef | null> {
    if (ctx.actor.kind === 'tenant') {
      if (tenantKey && tenantKey !== ctx.actor.tenantKey) throw new ForbiddenError('A tenant API key can only act on its own tenant');
      return callerTenant(ctx);
    }
    if (!ctx.isPlatformAdmin) throw new ForbiddenError('Only platform administrators may choose a tenant');
    if (!tenantKey) return null;
    const tenant = await this.findByKey(tenantKey);
    if (!tenant) throw new InvalidInputError(`tenantKey "${tenantKey}" does not name a tenant`);
    return tenant;
  }

  async create(ctx: RequestContext, dto: CreateTenantDto): Promise<TenantView> {
    try {
      return await this.tx.run(async () => {
        const tenant = await this.tenants.create({ key: dto.key, name: dto.name, status: dto.status ?? 'active' });
        await this.audit.record(ctx, {
          action: 'tenant.created',
          targetType: 'tenant',
          targetId: tenant.id,
          tenant: tenant,
          details: { key: tenant.key },
        });
        return toTenantView(tenant);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A tenant with key "${dto.key}" already exists`);
      throw err;
    }
  }

  async update(ctx: RequestContext, key: string, dto: UpdateTenantDto): Promise<TenantView> {
    const view = await this.tx.run(async () => {
      const tenant = await this.findByKeyOrFail(key);
      const changed: string[] = [];
      if (dto.name !== undefined && dto.name !== tenant.name) {
        tenant.name = dto.name;
        changed.push('name');
      }
      if (dto.status !== undefined && dto.status !== tenant.status) {
        tenant.status = dto.status;
        changed.push('status');
      }
      if (changed.length) {
        await this.tenants.save(tenant);
        const action = changed.includes('status')
          ? tenant.status === 'suspended'
            ? 'tenant.suspended'
            : 'tenant.reactivated'
          : 'tenant.updated';
        await this.audit.record(ctx, { action, targetType: 'tenant', targetId: tenant.id, tenant, details: { changed } });
        // What the tenant's users hold elsewhere (OpenID Connect sessions and tokens) ends with it.
        if (action === 'tenant.suspended')
          await this.outbox.emit('tenant.suspended', tenant.id, {
            tenant: { id: tenant.id, key: tenant.key, name: tenant.name, status: tenant.status },
          });
      }
      return toTenantView(tenant);
    });
    await this.forgetTenant(view.id);
    return view;
  }

  /** Deletes the tenant and, through the database's cascades, everything it owns. */
  async delete(ctx: RequestContext, key: string): Promise<void> {
    const id = await this.tx.run(async () => {
      const tenant = await this.findByKeyOrFail(key);
      await this.tenants.delete(tenant.id);
      await this.audit.record(ctx, { action: 'tenant.deleted', targetType: 'tenant', targetId: tenant.id, tenant, details: { key } });
      return tenant.id;
    });
    await this.forgetTenant(id);
  }

  /** The tenant's keys, newest first, revoked ones included (with revokedAt). */
  async listApiKeys(key: string, query: PageQueryDto = {}): Promise<Page<ApiKeyView>> {
    const tenant = await this.findByKeyOrFail(key);
    return this.tenants.listApiKeys(tenant.id, query, (rows) => rows.map(toApiKeyView));
  }

  /** One of the tenant's keys (revoked or not); 404 for a key of another tenant. */
  async getApiKey(key: string, keyId: string): Promise<ApiKeyView> {
    const tenant = await this.findByKeyOrFail(key);
    const apiKey = await this.tenants.findApiKey(tenant.id, keyId);
    if (!apiKey) throw new NotFoundError('API key');
    return toApiKeyView(apiKey);
  }

  async createApiKey(ctx: RequestContext, key: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    return this.tx.run(async () => {
      const tenant = await this.findByKeyOrFail(key);
      const secret = this.crypto.randomToken(32);
      const apiKey = await this.tenants.createApiKey({
        tenantId: tenant.id,
        keyId: `tk_${this.crypto.randomToken(12)}`,
        secretHash: this.crypto.hashToken(secret),
        label: dto.label ?? null,
        revokedAt: null,
      });
      await this.audit.record(ctx, {
        action: 'tenant.api_key.created',
        targetType: 'tenant_api_key',
        targetId: apiKey.keyId,
        tenant,
        details: { label: apiKey.label },
      });
      return { ...toApiKeyView(apiKey), secret };
    });
  }

  async revokeApiKey(ctx: RequestContext, key: string, keyId: string): Promise<void> {
    await this.tx.run(async () => {
      const tenant = await this.findByKeyOrFail(key);
      const apiKey = await this.tenants.findApiKey(tenant.id, keyId);
      if (!apiKey) throw new NotFoundError('API key');
      if (apiKey.revokedAt) return;
      apiKey.revokedAt = new Date();
      await this.tenants.saveApiKey(apiKey);
      await this.audit.record(ctx, { action: 'tenant.api_key.revoked', targetType: 'tenant_api_key', targetId: keyId, tenant });
    });
    this.keyCache.forgetKey(keyId);
    // Answered once the other instances have been told: the caller's next request is refused anywhere.
    await this.broadcast.publish(KEY_REVOKED, keyId);
  }

  /**
   * Checks a tenant API key. Unknown key, wrong secret and revoked key are indistinguishable to the
   * caller; a suspended tenant is told so (it authenticated, it is just not allowed).
   */
  async verifyApiKey(keyId: string, secret: string): Promise<TenantRef | null> {
    const known = this.verifyKnownApiKey(keyId, secret);
    if (known !== undefined) return known;
    const presented = this.crypto.hashToken(secret);
    const apiKey = await this.tenants.findActiveApiKey(keyId);
    const matches = this.crypto.sameDigest(apiKey?.secretHash ?? this.crypto.hashToken('no-such-key'), presented);
    if (!apiKey?.tenant) return null;
    // Only verified keys are remembered, so guessing secrets always costs a lookup.
    if (matches) this.keyCache.set(keyId, apiKey.secretHash, toRef(apiKey.tenant));
    return this.admit(toRef(apiKey.tenant), matches);
  }

  /**
   * verifyApiKey for a key verified within the last seconds, without waiting for anything (the API's
   * hot path); `undefined` when this instance does not know the key, and verifyApiKey must look it up.
   */
  verifyKnownApiKey(keyId: string, secret: string): TenantRef | null | undefined {
    const cached = this.keyCache.get(keyId);
    if (!cached) return undefined;
    return this.admit(cached.tenant, this.crypto.sameDigest(cached.secretHash, this.crypto.hashToken(secret)));
  }

  private async forgetTenant(tenantId: string): Promise<void> {
    this.keyCache.forgetTenant(tenantId);
    await this.broadcast.publish(TENANT_CHANGED, tenantId);
  }

  /** The origins allowed to frame Portico pages served in this tenant's context (none by default). */
  async embedOrigins(tenantId: string): Promise<string[]> {
    return (await this.tenants.findIntegration(tenantId))?.embedOrigins ?? [];
  }

  /** The tenant's billing API with its password decrypted, or null when its organizations are billed directly. */
  async billingApi(tenantId: string): Promise<TenantBillingApi | null> {
    const row = await this.tenants.findIntegration(tenantId);
    if (!row?.billingApiUrl || !row.billingApiUsername || !row.billingApiPasswordSealed) return null;
    return {
      url: row.billingApiUrl,
      username: row.billingApiUsername,
      password: this.crypto.decrypt(row.billingApiPasswordSealed),
      allowPrivateNetwork: row.billingApiAllowPrivateNetwork,
    };
  }

  async integration(tenantId: string): Promise<TenantIntegrationView> {
    return toIntegrationView(await this.tenants.findIntegration(tenantId));
  }

  /** Applies the fields present in `dto` (in the caller's transaction, if any); secrets stay write-only. */
  async updateIntegration(tenantId: string, dto: UpdateTenantIntegrationDto): Promise<void> {
    const row = await this.tenants.integrationOrNew(tenantId);
    if (dto.embedOrigins !== undefined) row.embedOrigins = [...new Set(dto.embedOrigins)];
    if (dto.dataSharingUrl !== undefined) row.dataSharingUrl = dto.dataSharingUrl;
    if (dto.rateLimit !== undefined) {
      row.rateLimitPerSecond = dto.rateLimit?.perSecond ?? null;
      row.rateLimitBurst = dto.rateLimit?.burst ?? null;
      // Not awaited: a transaction waits on nothing but the database (publishing never fails).
      void this.rateLimits.forget(tenantId);
    }
    if (dto.billingApi === null) {
      Object.assign(row, {
        billingApiUrl: null,
        billingApiUsername: null,
        billingApiPasswordSealed: null,
        billingApiAllowPrivateNetwork: false,
      });
    } else if (dto.billingApi) {
      const api = dto.billingApi;
      if (!api.password && !row.billingApiPasswordSealed) throw new InvalidInputError('billingApi.password is required the first time');
      // The policy every outbound call follows, checked at save so a bad URL is named now, not at the next run.
      const problem = urlProblem(new URL(api.url), { allowHttp: api.allowPrivateNetwork, allowPrivateNetwork: api.allowPrivateNetwork });
      if (problem) {
        const hint = api.url.startsWith('http:') ? ' (plain http:// only with allowPrivateNetwork)' : '';
        throw new InvalidInputError(`billingApi.url: ${problem}${hint}`);
      }
      row.billingApiUrl = api.url.replace(/\/+$/, '');
      row.billingApiUsername = api.username;
      if (api.password) row.billingApiPasswordSealed = this.crypto.encrypt(api.password);
      row.billingApiAllowPrivateNetwork = api.allowPrivateNetwork ?? false;
    }
    await this.tenants.saveIntegration(row);
  }

  private admit(tenant: TenantRef, matches: boolean): TenantRef | null {
    if (!matches) return null;
    if (tenant.status !== 'active') throw new ForbiddenError(`Tenant "${tenant.key}" is suspended`);
    return tenant;
  }

  private async findByKeyOrFail(key: string): Promise<Tenant> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) throw new NotFoundError(`Tenant "${key}"`);
    return tenant;
  }
}

/**
 * The tenant a tenant API key acts for, from the request context alone (the guard has just checked
 * that the key is valid and its tenant active); null for any other caller.
 */
export function callerTenant(ctx: RequestContext): TenantRef | null {
  if (ctx.actor.kind !== 'tenant') return null;
  return { id: ctx.actor.tenantId, key: ctx.actor.tenantKey, name: ctx.actor.tenantKey, status: 'active' };
}

function toRef(t: Tenant): TenantRef {
  return { id: t.id, key: t.key, name: t.name, status: t.status };
}

function toTenantView(t: Tenant): TenantView {
  return { id: t.id, key: t.key, name: t.name, status: t.status, createdAt: t.createdAt, updatedAt: t.updatedAt };
}

function toIntegrationView(row: TenantIntegration | null): TenantIntegrationView {
  if (!row) return { embedOrigins: [], billingApi: null, dataSharingUrl: null, rateLimit: null };
  return {
    embedOrigins: row.embedOrigins,
    billingApi: row.billingApiUrl
      ? {
          url: row.billingApiUrl,
          username: row.billingApiUsername ?? '',
          passwordSet: !!row.billingApiPasswordSealed,
          allowPrivateNetwork: row.billingApiAllowPrivateNetwork,
        }
      : null,
    dataSharingUrl: row.dataSharingUrl,
    rateLimit: row.rateLimitPerSecond !== null ? { perSecond: row.rateLimitPerSecond, burst: row.rateLimitBurst ?? 0 } : null,
  };
}

function toApiKeyView(k: TenantApiKey): ApiKeyView {
  return { keyId: k.keyId, label: k.label, createdAt: k.createdAt, revokedAt: k.revokedAt };
}
