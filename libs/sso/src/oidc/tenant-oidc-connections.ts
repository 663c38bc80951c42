import { Injectable } from '@nestjs/common';
import {
  AppConfig,
  AuditService,
  Clock,
  CryptoService,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantRef, TenantsService } from '@portico/tenants';
import { createHash, generateKeyPairSync, webcrypto } from 'node:crypto';
import * as oidc from 'openid-client';
import type { ServerMetadata } from 'openid-client';
import { OidcDiscoveredView, PutTenantOidcDto, TenantOidcView } from './dto/tenant-oidc.dto';
import type { OidcClaimMapping, TenantOidcConnection } from './entities/tenant-oidc-connection.entity';
import { OidcRelyingParty, ProviderAccess } from './login/oidc-relying-party';
import { TenantOidcRepository } from './tenant-oidc.repository';

/** Claim names Portico reads when a tenant maps nothing else: the standard OpenID Connect claims. */
export const DEFAULT_CLAIM_MAPPING: OidcClaimMapping = {
  email: 'email',
  firstName: 'given_name',
  lastName: 'family_name',
  groupUid: 'group_uid',
  groupName: 'group_name',
  groupRole: 'group_role',
};

// A discovery document older than this is read again before the next sign-in (providers move endpoints).
const DISCOVERY_MAX_AGE_MS = 60 * 60_000;

export interface TenantOidcUrls {
  redirectUri: string;
  initUrl: string;
  clientJwksUri: string;
}

/** Each tenant's OpenID provider: its settings (secret sealed), its discovery document and Portico's URLs. */
@Injectable()
export class TenantOidcConnections {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: TenantOidcRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly rp: OidcRelyingParty,
  ) {}

  urls(tenantKey: string): TenantOidcUrls {
    const base = `${this.config.publicUrl}/t/${encodeURIComponent(tenantKey)}/oidc`;
    return { redirectUri: `${base}/callback`, initUrl: `${base}/init`, clientJwksUri: `${base}/jwks` };
  }

  async tenantOrFail(key: string): Promise<TenantRef> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) throw new NotFoundError(`Tenant "${key}"`);
    return tenant;
  }

  find(tenantId: string): Promise<TenantOidcConnection | null> {
    return this.repository.connectionOf(tenantId);
  }

  async view(key: string): Promise<TenantOidcView> {
    const tenant = await this.tenantOrFail(key);
    return this.toView(tenant, (await this.repository.connectionOf(tenant.id)) ?? this.repository.newConnection(tenant.id, defaults()));
  }

  async put(ctx: RequestContext, key: string, dto: PutTenantOidcDto): Promise<TenantOidcView> {
    const tenant = await this.tenantOrFail(key);
    const current = await this.repository.connectionOf(tenant.id);
    if (dto.allowPrivateNetwork === true && !current?.allowPrivateNetwork && !ctx.isPlatformAdmin)
      throw new ForbiddenError('Only a platform administrator may set allowPrivateNetwork');
    if (dto.defaultOrganizationId) {
      const org = await this.organizations.find(RequestContext.system('oidc'), dto.defaultOrganizationId);
      if (!org || org.tenantId !== tenant.id)
        throw new InvalidInputError('defaultOrganizationId does not name an organization of this tenant');
    }
    const issuer = dto.issuer !== undefined ? dto.issuer : (current?.issuer ?? null);
    const allowPrivate = dto.allowPrivateNetwork ?? current?.allowPrivateNetwork ?? false;
    const enabling = dto.enabled ?? current?.enabled ?? false;
    // Discovery runs before the transaction (a transaction awaits nothing but the database).
    let discovery: { json: string; at: Date } | null | undefined;
    const issuerMoved = issuer !== (current?.issuer ?? null) || allowPrivate !== (current?.allowPrivateNetwork ?? false);
    if (!issuer) discovery = null;
    else if (issuerMoved || (enabling && !current?.discovery)) discovery = await this.discoverOrFail(issuer, allowPrivate);

    const row = await this.tx.run(async () => {
      const row = (await this.repository.connectionOf(tenant.id)) ?? this.repository.newConnection(tenant.id, defaults());
      if (dto.displayName !== undefined) row.displayName = dto.displayName;
      if (dto.issuer !== undefined) row.issuer = dto.issuer;
      if (dto.clientId !== undefined) row.clientId = dto.clientId;
      if (dto.clientSecret !== undefined) row.clientSecretSealed = dto.clientSecret === null ? null : this.crypto.encrypt(dto.clientSecret);
      if (dto.tokenEndpointAuthMethod !== undefined) row.tokenEndpointAuthMethod = dto.tokenEndpointAuthMethod;
      if (dto.scopes !== undefined) row.scopes = dto.scopes;
      if (dto.claimMapping !== undefined) row.claimMapping = { ...row.claimMapping, ...definedOnly(dto.claimMapping) };
      if (dto.jitProvisioning !== undefined) row.jitProvisioning = dto.jitProvisioning;
      if (dto.defaultOrganizationId !== undefined) row.defaultOrganizationId = dto.defaultOrganizationId;
      if (dto.enabled !== undefined) row.enabled = dto.enabled;
      if (dto.allowPrivateNetwork !== undefined) row.allowPrivateNetwork = dto.allowPrivateNetwork;
      // Portico's key for private_key_jwt is made the first time that method is chosen, and kept.
      if (row.tokenEndpointAuthMethod === 'private_key_jwt' && !row.clientKeySealed) {
        const key = newClientKey();
        row.clientKeySealed = this.crypto.encrypt(JSON.stringify(key.privateJwk));
        row.clientPublicJwk = JSON.stringify(key.publicJwk);
      }
      if (discovery !== undefined) {
        row.discovery = discovery?.json ?? null;
        row.discoveredAt = discovery?.at ?? null;
      }
      if (row.enabled && !isConfigured(row)) throw new InvalidInputError('enabled needs issuer, clientId and clientSecret: set them first');
      await this.repository.saveConnection(row);
      await this.record(ctx, tenant, 'oidc.connection.updated', { fields: Object.keys(dto), issuer: row.issuer });
      return row;
    });
    this.rp.forget(tenant.id);
    return this.toView(tenant, row);
  }

  async delete(ctx: RequestContext, key: string): Promise<void> {
    const tenant = await this.tenantOrFail(key);
    await this.tx.run(async () => {
      if (await this.repository.deleteConnection(tenant.id)) await this.record(ctx, tenant, 'oidc.connection.deleted', {});
    });
    this.rp.forget(tenant.id);
  }

  /** The provider's metadata for a sign-in: the stored document, read again when it is old or `refresh` asks. */
  async metadata(row: TenantOidcConnection, refresh = false): Promise<ServerMetadata> {
    const fresh = row.discovery && row.discoveredAt && this.clock.nowMs() - row.discoveredAt.getTime() < DISCOVERY_MAX_AGE_MS;
    if (fresh && !refresh) return JSON.parse(row.discovery!) as ServerMetadata;
    let metadata: ServerMetadata;
    try {
      metadata = await this.rp.discover(row.issuer!, row.allowPrivateNetwork);
    } catch (err) {
      // A provider whose discovery is briefly down keeps signing people in with the endpoints it had.
      if (row.discovery && !refresh) return JSON.parse(row.discovery) as ServerMetadata;
      throw err;
    }
    const at = this.clock.now();
    await this.tx.run(() => this.repository.saveDiscovery(row.tenantId, JSON.stringify(metadata), at));
    row.discovery = JSON.stringify(metadata);
    row.discoveredAt = at;
    return metadata;
  }

  async access(row: TenantOidcConnection): Promise<ProviderAccess> {
    return {
      tenantId: row.tenantId,
      clientId: row.clientId!,
      clientAuth: await this.clientAuth(row),
      allowPrivateNetwork: row.allowPrivateNetwork,
    };
  }

  /** The tenant's public key for private_key_jwt, as a JWKS (empty when it has none). */
  async clientJwks(key: string): Promise<{ keys: Record<string, unknown>[] } | null> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) return null;
    const row = await this.repository.connectionOf(tenant.id);
    return { keys: row?.clientPublicJwk ? [JSON.parse(row.clientPublicJwk) as Record<string, unknown>] : [] };
  }

  private async clientAuth(row: TenantOidcConnection): Promise<oidc.ClientAuth> {
    if (row.tokenEndpointAuthMethod === 'private_key_jwt') {
      const jwk = JSON.parse(this.crypto.decrypt(row.clientKeySealed!)) as webcrypto.JsonWebKey & { kid: string };
      const key = await webcrypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      return oidc.PrivateKeyJwt({ key, kid: jwk.kid });
    }
    const secret = this.crypto.decrypt(row.clientSecretSealed!);
    return row.tokenEndpointAuthMethod === 'client_secret_post' ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret);
  }

  toView(tenant: TenantRef, row: TenantOidcConnection): TenantOidcView {
    return {
      tenantKey: tenant.key,
      displayName: row.displayName,
      buttonName: buttonName(row),
      issuer: row.issuer,
      clientId: row.clientId,
      clientSecretSet: !!row.clientSecretSealed,
      tokenEndpointAuthMethod: row.tokenEndpointAuthMethod,
      scopes: row.scopes,
      claimMapping: { ...DEFAULT_CLAIM_MAPPING, ...row.claimMapping },
      jitProvisioning: row.jitProvisioning,
      defaultOrganizationId: row.defaultOrganizationId,
      enabled: row.enabled,
      allowPrivateNetwork: row.allowPrivateNetwork,
      ...this.urls(tenant.key),
      clientPublicJwk: row.clientPublicJwk ? (JSON.parse(row.clientPublicJwk) as Record<string, unknown>) : null,
      discovered: discoveredView(row),
      configured: isConfigured(row),
      updatedAt: row.updatedAt ?? null,
    };
  }

  private async discoverOrFail(issuer: string, allowPrivate: boolean): Promise<{ json: string; at: Date }> {
    try {
      const metadata = await this.rp.discover(issuer, allowPrivate);
      return { json: JSON.stringify(metadata), at: this.clock.now() };
    } catch (err) {
      const why = ((err as Error).message ?? 'failed').split('\n')[0].slice(0, 300);
      const hint = /private|loopback|https/i.test(why)
        ? ' (the issuer must be https://; a provider on this host or a private network needs allowPrivateNetwork, set by a platform administrator)'
        : '';
      throw new InvalidInputError(`issuer: discovery from ${issuer}/.well-known/openid-configuration failed: ${why}${hint}`);
    }
  }

  private async record(ctx: RequestContext, tenant: TenantRef, action: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.record(ctx, { action, targetType: 'tenant', targetId: tenant.id, tenant, details });
  }
}

export function isConfigured(row: TenantOidcConnection): boolean {
  const credential = row.tokenEndpointAuthMethod === 'private_key_jwt' ? row.clientKeySealed : row.clientSecretSealed;
  return !!row.issuer && !!row.clientId && !!credential;
}

/** An EC P-256 key pair for private_key_jwt, as JWKs named by their RFC 7638 thumbprint. */
function newClientKey(): { privateJwk: Record<string, unknown>; publicJwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y }))
    .digest('base64url');
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },
    publicJwk: { ...pub, kid, alg: 'ES256', use: 'sig' },
  };
}

/** "Sign in with {name}": the display name, else the issuer's host. */
export function buttonName(row: TenantOidcConnection): string {
  if (row.displayName) return row.displayName;
  try {
    return row.issuer ? new URL(row.issuer).host : 'OpenID Connect';
  } catch {
    return 'OpenID Connect';
  }
}

function defaults(): Partial<TenantOidcConnection> {
  return { claimMapping: { ...DEFAULT_CLAIM_MAPPING } };
}

function discoveredView(row: TenantOidcConnection): OidcDiscoveredView | null {
  if (!row.discovery || !row.discoveredAt) return null;
  const m = JSON.parse(row.discovery) as ServerMetadata;
  return {
    issuer: m.issuer,
    authorizationEndpoint: m.authorization_endpoint ?? '',
    tokenEndpoint: m.token_endpoint ?? '',
    userinfoEndpoint: m.userinfo_endpoint ?? null,
    jwksUri: m.jwks_uri ?? '',
    idTokenSigningAlgValuesSupported: m.id_token_signing_alg_values_supported ?? [],
    authorizationResponseIssParameterSupported: !!m.authorization_response_iss_parameter_supported,
    discoveredAt: row.discoveredAt,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
