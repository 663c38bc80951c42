import { Injectable } from '@nestjs/common';
import {
  AuditEntry,
  AuditService,
  Clock,
  CryptoService,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  Page,
  RequestContext,
  TransactionService,
  urlProblem,
} from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import {
  CreatedWebhookEndpointView,
  CreateWebhookEndpointDto,
  RotatedWebhookSecretView,
  RotateWebhookSecretDto,
  UpdateWebhookEndpointDto,
  WebhookEndpointQueryDto,
  WebhookEndpointView,
} from './dto/webhook-endpoint.dto';
import { AuditStream } from './audit-stream';
import { newWebhookSecret } from './delivery/signing';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { WebhooksRepository } from './webhooks.repository';

const DEFAULT_OVERLAP_MINUTES = 24 * 60;

/** Webhook endpoints of the caller's tenant: subscriptions, URL policy, secrets (shown once). */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repo: WebhooksRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
    private readonly clock: Clock,
    private readonly auditStream: AuditStream,
  ) {}

  async list(ctx: RequestContext, query: WebhookEndpointQueryDto): Promise<Page<WebhookEndpointView>> {
    const page = await this.repo.listEndpoints(ctx, query);
    const tenants = await this.tenants.findByIds(page.items.map((e) => e.tenantId).filter((id): id is string => !!id));
    return { ...page, items: page.items.map((e) => toView(e, keyOf(e, tenants))) };
  }

  health(ctx: RequestContext): Promise<{ total: number; failing: number; disabled: number }> {
    return this.repo.endpointHealth(ctx);
  }

  async get(ctx: RequestContext, id: string): Promise<WebhookEndpointView> {
    const endpoint = await this.findOrFail(ctx, id);
    return toView(endpoint, await this.tenantKey(endpoint.tenantId));
  }

  async create(ctx: RequestContext, dto: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointView> {
    const tenant = await this.tenants.resolveOwner(ctx, dto.tenantKey);
    mayAllowPrivateNetwork(ctx, dto.allowPrivateNetwork, false);
    const allowPrivateNetwork = dto.allowPrivateNetwork ?? false;
    const url = checkedUrl(dto.url, allowPrivateNetwork);
    const secret = newWebhookSecret();
    const created = await this.tx.run(async () => {
      const endpoint = await this.repo.createEndpoint({
        tenantId: tenant?.id ?? null,
        url,
        description: dto.description || null,
        events: dto.events,
        enabled: dto.enabled ?? true,
        allowPrivateNetwork,
        secretSealed: this.crypto.encrypt(secret),
      });
      await this.audit.record(ctx, auditEntry('webhook_endpoint.created', endpoint, tenant));
      return { ...toView(endpoint, tenant?.key ?? null), secret };
    });
    await this.auditStream.changed();
    return created;
  }

  async update(ctx: RequestContext, id: string, dto: UpdateWebhookEndpointDto): Promise<WebhookEndpointView> {
    const updated = await this.tx.run(async () => {
      const endpoint = await this.findOrFail(ctx, id);
      mayAllowPrivateNetwork(ctx, dto.allowPrivateNetwork, endpoint.allowPrivateNetwork);
      endpoint.allowPrivateNetwork = dto.allowPrivateNetwork ?? endpoint.allowPrivateNetwork;
      endpoint.url = checkedUrl(dto.url, endpoint.allowPrivateNetwork);
      endpoint.events = dto.events;
      if (dto.description !== undefined) endpoint.description = dto.description || null;
      if (dto.enabled !== undefined && dto.enabled !== endpoint.enabled) {
        endpoint.enabled = dto.enabled;
        // Turned on again by a person: the old streak and reason no longer describe it.
        endpoint.disabledReason = null;
        endpoint.disabledAt = dto.enabled ? null : this.clock.now();
        if (dto.enabled) {
          endpoint.failingSince = null;
          endpoint.consecutiveFailures = 0;
        }
      }
      await this.repo.saveEndpoint(endpoint);
      const tenant = await this.tenantRef(endpoint.tenantId);
      await this.audit.record(ctx, auditEntry('webhook_endpoint.updated', endpoint, tenant));
      return toView(endpoint, tenant?.key ?? null);
    });
    await this.auditStream.changed();
    return updated;
  }

  /** Deletes the endpoint with its messages and attempts (database cascade). */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async () => {
      const endpoint = await this.findOrFail(ctx, id);
      await this.repo.deleteEndpoint(endpoint.id);
      await this.audit.record(ctx, auditEntry('webhook_endpoint.deleted', endpoint, await this.tenantRef(endpoint.tenantId)));
    });
    await this.auditStream.changed();
  }

  /** A new secret, shown once; the current one keeps signing beside it for the overlap. */
  async rotateSecret(ctx: RequestContext, id: string, dto: RotateWebhookSecretDto): Promise<RotatedWebhookSecretView> {
    const secret = newWebhookSecret();
    const overlapMs = (dto.overlapMinutes ?? DEFAULT_OVERLAP_MINUTES) * 60_000;
    return this.tx.run(async () => {
      const endpoint = await this.findOrFail(ctx, id);
      endpoint.previousSecretSealed = overlapMs > 0 ? endpoint.secretSealed : null;
      endpoint.previousSecretExpiresAt = overlapMs > 0 ? new Date(this.clock.nowMs() + overlapMs) : null;
      endpoint.secretSealed = this.crypto.encrypt(secret);
      await this.repo.saveEndpoint(endpoint);
      await this.audit.record(
        ctx,
        auditEntry('webhook_endpoint.secret_rotated', endpoint, await this.tenantRef(endpoint.tenantId), {
          overlapMinutes: overlapMs / 60_000,
        }),
      );
      return { secret, previousSecretExpiresAt: endpoint.previousSecretExpiresAt };
    });
  }

  /** For the deliveries side: the endpoint if the caller may see it. */
  async findOrFail(ctx: RequestContext, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.repo.findEndpoint(ctx, id);
    if (!endpoint) throw new NotFoundError('Webhook endpoint');
    return endpoint;
  }

  private async tenantRef(tenantId: string | null): Promise<TenantRef | null> {
    return tenantId ? this.tenants.findById(tenantId) : null;
  }

  private async tenantKey(tenantId: string | null): Promise<string | null> {
    return (await this.tenantRef(tenantId))?.key ?? null;
  }
}

/**
 * Only a platform admin may open an endpoint to loopback and private addresses: a tenant's could
 * reach Portico's own network and read the answers in its delivery log. A tenant may send the flag
 * back as it stands (a GET's body, PUT again) or turn it off, never turn it on.
 */
function mayAllowPrivateNetwork(ctx: RequestContext, wanted: boolean | undefined, current: boolean): void {
  if (wanted === true && !current && !ctx.isPlatformAdmin)
    throw new ForbiddenError('Only a platform administrator may set allowPrivateNetwork');
}

/** The URL after the policy every outbound call follows; plain http only for a private destination. */
function checkedUrl(raw: string, allowPrivateNetwork: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('url must be an absolute URL such as https://portal.example.com/hooks/portico');
  }
  const problem = urlProblem(url, { allowHttp: allowPrivateNetwork, allowPrivateNetwork });
  if (problem) {
    const hint = url.protocol === 'http:' ? ' (plain http:// is allowed only for an endpoint marked allowPrivateNetwork)' : '';
    throw new InvalidInputError(`url: ${problem}${hint}`);
  }
  if (url.hash) throw new InvalidInputError('url must not have a #fragment');
  return url.toString();
}

function auditEntry(action: string, e: WebhookEndpoint, tenant: TenantRef | null, extra: Record<string, unknown> = {}): AuditEntry {
  // The host only: a query string may carry a token.
  const details = { host: safeHost(e.url), events: e.events, enabled: e.enabled, allowPrivateNetwork: e.allowPrivateNetwork, ...extra };
  return { action, targetType: 'webhook_endpoint', targetId: e.id, tenant, details };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function keyOf(e: WebhookEndpoint, tenants: Map<string, TenantRef>): string | null {
  return e.tenantId ? (tenants.get(e.tenantId)?.key ?? null) : null;
}

export function toView(e: WebhookEndpoint, tenantKey: string | null): WebhookEndpointView {
  return {
    id: e.id,
    tenantKey,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    allowPrivateNetwork: e.allowPrivateNetwork,
    secretSet: true,
    previousSecretExpiresAt: e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt : null,
    disabledReason: e.disabledReason,
    disabledAt: e.disabledAt,
    failingSince: e.failingSince,
    consecutiveFailures: e.consecutiveFailures,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
