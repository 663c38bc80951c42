import { Injectable } from '@nestjs/common';
import {
  AuditService,
  ConflictError,
  JobQueue,
  NotFoundError,
  Page,
  pageWindow,
  RequestContext,
  tenantWhere,
  TransactionService,
} from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { In, MoreThanOrEqual } from 'typeorm';
import { DELIVER_JOB, deliverJobs } from './delivery/constants';
import { DeliveryQueryDto, MessageQueryDto, ReplayResultView, WebhookAttemptView, WebhookMessageView } from './dto/webhook-delivery.dto';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { WebhookMessage } from './entities/webhook-message.entity';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const REPLAY_CHUNK = 500;

/** The delivery log of the caller's endpoints, and sending messages again. */
@Injectable()
export class WebhookMessagesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly endpoints: WebhookEndpointsService,
    private readonly tenants: TenantsService,
  ) {}

  async attempts(ctx: RequestContext, endpointId: string, query: DeliveryQueryDto): Promise<Page<WebhookAttemptView>> {
    const endpoint = await this.endpoints.findOrFail(this.tx.manager, ctx, endpointId);
    const { take, skip } = pageWindow(query);
    const [rows, total] = await this.tx.manager.findAndCount(WebhookAttempt, {
      where: { endpointId: endpoint.id, ...(query.messageId ? { messageId: query.messageId } : {}) },
      order: { at: 'DESC', id: 'DESC' },
      take,
      skip,
    });
    const types = await this.eventTypes(rows.map((r) => r.messageId));
    return { items: rows.map((a) => toAttemptView(a, types.get(a.messageId) ?? '')), total, limit: take, offset: skip };
  }

  async messages(ctx: RequestContext, endpointId: string, query: MessageQueryDto): Promise<Page<WebhookMessageView>> {
    const endpoint = await this.endpoints.findOrFail(this.tx.manager, ctx, endpointId);
    const { take, skip } = pageWindow(query);
    const [rows, total] = await this.tx.manager.findAndCount(WebhookMessage, {
      where: { endpointId: endpoint.id, ...(query.status ? { status: query.status } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take,
      skip,
    });
    return { items: rows.map(toMessageView), total, limit: take, offset: skip };
  }

  async message(ctx: RequestContext, id: string): Promise<WebhookMessageView> {
    return toMessageView(await this.messageOrFail(ctx, id));
  }

  /** Sends the message again now, with a fresh retry schedule (same webhook-id and body). */
  async resend(ctx: RequestContext, id: string): Promise<WebhookMessageView> {
    const message = await this.tx.run(async (m) => {
      const msg = await this.messageOrFail(ctx, id);
      const endpoint = await m.findOneByOrFail(WebhookEndpoint, { id: msg.endpointId });
      if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled: enable it first, then resend');
      Object.assign(msg, { status: 'pending', scheduleStep: 0, nextAttemptAt: new Date(), failedAt: null });
      await m.update(
        WebhookMessage,
        { id: msg.id },
        { status: 'pending', scheduleStep: 0, nextAttemptAt: msg.nextAttemptAt, failedAt: null },
      );
      await this.audit.record(m, ctx, {
        action: 'webhook_message.resent',
        targetType: 'webhook_message',
        targetId: msg.id,
        tenant: msg.tenantId ? await this.tenants.findById(msg.tenantId) : null,
        details: { endpointId: msg.endpointId, eventType: msg.eventType },
      });
      return msg;
    });
    await this.jobs.enqueueMany(DELIVER_JOB, deliverJobs([message.id], `resend${message.attempts}`));
    return toMessageView(message);
  }

  /** Every failed message of the endpoint created since the given time goes out again, each with a fresh schedule. */
  async replayFailed(ctx: RequestContext, endpointId: string, since: Date): Promise<ReplayResultView> {
    const ids = await this.tx.run(async (m) => {
      const endpoint = await this.endpoints.findOrFail(m, ctx, endpointId);
      if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled: enable it first, then replay');
      const failed = await m.find(WebhookMessage, {
        select: { id: true },
        where: { endpointId: endpoint.id, status: 'failed', createdAt: MoreThanOrEqual(since) },
      });
      const found = failed.map((f) => f.id);
      for (let i = 0; i < found.length; i += REPLAY_CHUNK) {
        await m.update(
          WebhookMessage,
          { id: In(found.slice(i, i + REPLAY_CHUNK)) },
          { status: 'pending', scheduleStep: 0, nextAttemptAt: new Date(), failedAt: null },
        );
      }
      await this.audit.record(m, ctx, {
        action: 'webhook_endpoint.replayed',
        targetType: 'webhook_endpoint',
        targetId: endpoint.id,
        tenant: endpoint.tenantId ? await this.tenants.findById(endpoint.tenantId) : null,
        details: { since: since.toISOString(), queued: found.length },
      });
      return found;
    });
    await this.jobs.enqueueMany(DELIVER_JOB, deliverJobs(ids));
    return { queued: ids.length };
  }

  private async messageOrFail(ctx: RequestContext, id: string): Promise<WebhookMessage> {
    const message = await this.tx.manager.findOneBy(WebhookMessage, { id, ...tenantWhere(ctx) });
    if (!message) throw new NotFoundError('Webhook message');
    return message;
  }

  private async eventTypes(messageIds: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(messageIds)];
    if (!unique.length) return new Map();
    const rows = await this.tx.manager.find(WebhookMessage, { select: { id: true, eventType: true }, where: { id: In(unique) } });
    return new Map(rows.map((r) => [r.id, r.eventType]));
  }
}

function toAttemptView(a: WebhookAttempt, eventType: string): WebhookAttemptView {
  return {
    id: a.id,
    messageId: a.messageId,
    eventType,
    attempt: a.attempt,
    statusCode: a.statusCode,
    durationMs: a.durationMs,
    error: a.error,
    responseBody: a.responseBody,
    at: a.at,
  };
}

export function toMessageView(m: WebhookMessage): WebhookMessageView {
  return {
    id: m.id,
    endpointId: m.endpointId,
    eventId: m.eventId,
    eventType: m.eventType,
    status: m.status,
    attempts: m.attempts,
    nextAttemptAt: m.status === 'pending' ? m.nextAttemptAt : null,
    lastStatusCode: m.lastStatusCode,
    lastError: m.lastError,
    lastDurationMs: m.lastDurationMs,
    deliveredAt: m.deliveredAt,
    failedAt: m.failedAt,
    createdAt: m.createdAt,
  };
}
