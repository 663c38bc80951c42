import { Injectable } from '@nestjs/common';
import {
  AuditService,
  CryptoService,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  Page,
  PageQueryDto,
  pageWindow,
  RequestContext,
  TransactionService,
  urlProblem,
} from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { randomBytes } from 'node:crypto';
import {
  CreatedOidcClientView,
  CreateOidcClientDto,
  OidcClientView,
  RotatedClientSecretView,
  UpdateOidcClientDto,
} from '../dto/oidc-client.dto';
import { ClientGrantType, ClientAuthMethod, OidcClient } from '../entities/oidc-client.entity';
import { OidcRepository } from '../oidc.repository';
import { redirectUriProblem } from './redirect-uri';

const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'organizations', 'offline_access'];
const DEFAULT_GRANTS: ClientGrantType[] = ['authorization_code', 'refresh_token'];

/** Listeners told when a client changes, so providers drop what they cached of it. */
type ClientChanged = (clientId: string) => void;

/** OpenID Connect clients: platform-wide or a tenant's, secrets shown once and stored hashed. */
@Injectable()
export class OidcClientsService {
  private readonly listeners: ClientChanged[] = [];

  constructor(
    private readonly tx: TransactionService,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly repository: OidcRepository,
  ) {}

  onChange(listener: ClientChanged): void {
    this.listeners.push(listener);
  }

  /** `filter.tenantKey` narrows a platform admin's list to one tenant's clients (a tenant caller sees only its own anyway). */
  async list(ctx: RequestContext, query: PageQueryDto, filter: { tenantKey?: string } = {}): Promise<Page<OidcClientView>> {
    const { take, skip } = pageWindow(query);
    const only = filter.tenantKey && ctx.isPlatformAdmin ? await this.tenants.findByKey(filter.tenantKey) : undefined;
    if (only === null) return { items: [], total: 0, limit: take, offset: skip };
    const [rows, total] = await this.repository.findClients(ctx, only?.id, take, skip);
    const tenants = await this.tenants.findByIds(rows.map((c) => c.tenantId).filter((id): id is string => !!id));
    return {
      items: rows.map((c) => toView(c, c.tenantId ? (tenants.get(c.tenantId)?.key ?? null) : null)),
      total,
      limit: take,
      offset: skip,
    };
  }

  async get(ctx: RequestContext, clientId: string): Promise<OidcClientView> {
    const client = await this.findOrFail(ctx, clientId);
    return toView(client, (await this.tenantRef(client.tenantId))?.key ?? null);
  }

  async create(ctx: RequestContext, dto: CreateOidcClientDto): Promise<CreatedOidcClientView> {
    adminOnlyFields(ctx, dto, { firstParty: false, allowPrivateNetwork: false });
    const tenant = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    const client = new OidcClient();
    client.clientId = `pc_${randomBytes(12).toString('hex')}`;
    client.tenantId = tenant?.id ?? null;
    this.apply(client, dto);
    const secret = client.tokenEndpointAuthMethod === 'none' ? null : newSecret();
    client.secretHash = secret ? this.crypto.hashToken(secret) : null;
    return this.tx.run(async () => {
      await this.repository.saveClient(client);
      await this.record(ctx, 'oidc_client.created', client, tenant);
      return { ...toView(client, tenant?.key ?? null), ...(secret ? { clientSecret: secret } : {}) };
    });
  }

  async update(ctx: RequestContext, clientId: string, dto: UpdateOidcClientDto): Promise<OidcClientView> {
    const view = await this.tx.run(async () => {
      const client = await this.findOrFail(ctx, clientId);
      adminOnlyFields(ctx, dto, client);
      const wasPublic = client.tokenEndpointAuthMethod === 'none';
      this.apply(client, dto, client);
      if (client.tokenEndpointAuthMethod === 'none') client.secretHash = null;
      else if (wasPublic)
        throw new InvalidInputError('tokenEndpointAuthMethod: a public client becomes confidential by being registered anew');
      await this.repository.saveClient(client);
      const tenant = await this.tenantRef(client.tenantId);
      await this.record(ctx, 'oidc_client.updated', client, tenant);
      return toView(client, tenant?.key ?? null);
    });
    this.changed(clientId);
    return view;
  }

  async delete(ctx: RequestContext, clientId: string): Promise<void> {
    await this.tx.run(async () => {
      const client = await this.findOrFail(ctx, clientId);
      await this.repository.deleteClient(client.id);
      // Its grants, codes and tokens go with it, at once: introspection and userinfo stop answering for them.
      await this.repository.revokeClient(client.clientId);
      await this.record(ctx, 'oidc_client.deleted', client, await this.tenantRef(client.tenantId));
    });
    this.changed(clientId);
  }

  /** A new secret, shown once; the previous one stops working at once. */
  async rotateSecret(ctx: RequestContext, clientId: string): Promise<RotatedClientSecretView> {
    const secret = newSecret();
    await this.tx.run(async () => {
      const client = await this.findOrFail(ctx, clientId);
      if (client.tokenEndpointAuthMethod === 'none')
        throw new InvalidInputError('A public client (tokenEndpointAuthMethod none) has no secret');
      client.secretHash = this.crypto.hashToken(secret);
      await this.repository.saveClient(client);
      await this.record(ctx, 'oidc_client.secret_rotated', client, await this.tenantRef(client.tenantId));
    });
    this.changed(clientId);
    return { clientId, clientSecret: secret };
  }

  /** The clients of a tenant (their ids), for revoking what they hold when the tenant is suspended. */
  async clientIdsOfTenant(tenantId: string): Promise<string[]> {
    return this.repository.clientIdsOfTenant(tenantId);
  }

  /** For the provider: the client with its tenant, or null. */
  async findForProvider(clientId: string): Promise<{ client: OidcClient; tenant: TenantRef | null } | null> {
    if (!/^pc_[0-9a-f]{24}$/.test(clientId)) return null;
    const client = await this.repository.findClientById(clientId);
    if (!client) return null;
    return { client, tenant: await this.tenantRef(client.tenantId) };
  }

  /** Compares a presented secret with the stored hash in constant time. */
  secretMatches(storedHash: string, presented: string): boolean {
    return this.crypto.sameDigest(storedHash, this.crypto.hashToken(presented));
  }

  private apply(client: OidcClient, dto: UpdateOidcClientDto, current?: OidcClient): void {
    client.name = dto.name;
    client.grantTypes = (dto.grantTypes as ClientGrantType[] | undefined) ?? current?.grantTypes ?? DEFAULT_GRANTS;
    client.tokenEndpointAuthMethod =
      (dto.tokenEndpointAuthMethod as ClientAuthMethod | undefined) ?? current?.tokenEndpointAuthMethod ?? 'client_secret_basic';
    client.redirectUris = checkedUris('redirectUris', dto.redirectUris ?? current?.redirectUris ?? []);
    client.postLogoutRedirectUris = checkedUris(
      'postLogoutRedirectUris',
      dto.postLogoutRedirectUris ?? current?.postLogoutRedirectUris ?? [],
    );
    client.scopes = dto.scopes ?? current?.scopes ?? DEFAULT_SCOPES;
    client.firstParty = dto.firstParty ?? current?.firstParty ?? false;
    client.allowPrivateNetwork = dto.allowPrivateNetwork ?? current?.allowPrivateNetwork ?? false;
    client.accessTokenTtlSeconds = dto.accessTokenTtlSeconds ?? current?.accessTokenTtlSeconds ?? 3600;
    client.refreshTokenTtlSeconds = dto.refreshTokenTtlSeconds ?? current?.refreshTokenTtlSeconds ?? 14 * 86400;
    const backchannel = dto.backchannelLogoutUri === undefined ? (current?.backchannelLogoutUri ?? null) : dto.backchannelLogoutUri || null;
    client.backchannelLogoutUri = backchannel === null ? null : checkedBackchannelUri(backchannel, client.allowPrivateNetwork);

    const codeFlow = client.grantTypes.includes('authorization_code');
    if (!client.grantTypes.length) throw new InvalidInputError('grantTypes must list at least one grant type');
    if (codeFlow && !client.redirectUris.length)
      throw new InvalidInputError('redirectUris must list at least one URI for authorization_code');
    if (!codeFlow && client.grantTypes.includes('refresh_token'))
      throw new InvalidInputError('grantTypes: refresh_token needs authorization_code');
    if (client.tokenEndpointAuthMethod === 'none' && client.grantTypes.includes('client_credentials'))
      throw new InvalidInputError('grantTypes: client_credentials needs a confidential client (tokenEndpointAuthMethod other than none)');
    if (codeFlow && !client.scopes.includes('openid')) throw new InvalidInputError('scopes must include openid for authorization_code');
  }

  private async findOrFail(ctx: RequestContext, clientId: string): Promise<OidcClient> {
    const client = await this.repository.findClient(ctx, clientId);
    if (!client) throw new NotFoundError('OIDC client');
    return client;
  }

  private async record(ctx: RequestContext, action: string, c: OidcClient, tenant: TenantRef | null): Promise<void> {
    await this.audit.record(ctx, {
      action,
      targetType: 'oidc_client',
      targetId: c.clientId,
      tenant,
      details: {
        name: c.name,
        redirectUris: c.redirectUris,
        grantTypes: c.grantTypes,
        tokenEndpointAuthMethod: c.tokenEndpointAuthMethod,
        firstParty: c.firstParty,
        scopes: c.scopes,
        allowPrivateNetwork: c.allowPrivateNetwork,
      },
    });
  }

  private async tenantRef(tenantId: string | null): Promise<TenantRef | null> {
    return tenantId ? this.tenants.findById(tenantId) : null;
  }

  private changed(clientId: string): void {
    for (const listener of this.listeners) listener(clientId);
  }
}

/** firstParty and allowPrivateNetwork are a platform admin's to turn on; a tenant may keep or clear them. */
function adminOnlyFields(
  ctx: RequestContext,
  dto: UpdateOidcClientDto,
  current: { firstParty: boolean; allowPrivateNetwork: boolean },
): void {
  if (ctx.isPlatformAdmin) return;
  if (dto.firstParty === true && !current.firstParty) throw new ForbiddenError('Only a platform administrator may set firstParty');
  if (dto.allowPrivateNetwork === true && !current.allowPrivateNetwork)
    throw new ForbiddenError('Only a platform administrator may set allowPrivateNetwork');
}

function checkedUris(field: string, uris: string[]): string[] {
  for (const [i, uri] of uris.entries()) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new InvalidInputError(`${field}[${i}] ${problem}`);
  }
  return uris;
}

function checkedBackchannelUri(raw: string, allowPrivateNetwork: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('backchannelLogoutUri must be an absolute URL');
  }
  const problem = urlProblem(url, { allowHttp: allowPrivateNetwork, allowPrivateNetwork });
  // A private or loopback address is refused without the flag; only an administrator may set it.
  if (problem && !allowPrivateNetwork && !urlProblem(url, { allowHttp: true, allowPrivateNetwork: true }))
    throw new ForbiddenError(
      'backchannelLogoutUri: a loopback or private address needs allowPrivateNetwork, which only a platform administrator may set',
    );
  if (problem) throw new InvalidInputError(`backchannelLogoutUri: ${problem}`);
  if (url.hash) throw new InvalidInputError('backchannelLogoutUri must not have a #fragment');
  return url.toString();
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function toView(c: OidcClient, tenantKey: string | null): OidcClientView {
  return {
    clientId: c.clientId,
    tenantKey,
    name: c.name,
    redirectUris: c.redirectUris,
    postLogoutRedirectUris: c.postLogoutRedirectUris,
    grantTypes: c.grantTypes,
    tokenEndpointAuthMethod: c.tokenEndpointAuthMethod,
    firstParty: c.firstParty,
    backchannelLogoutUri: c.backchannelLogoutUri,
    scopes: c.scopes,
    accessTokenTtlSeconds: c.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: c.refreshTokenTtlSeconds,
    allowPrivateNetwork: c.allowPrivateNetwork,
    clientSecretSet: c.secretHash !== null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
