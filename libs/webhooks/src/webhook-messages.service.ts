import { Injectable } from '@nestjs/common';
import { AuditService, Clock, ConflictError, JobQueue, NotFoundError, Page, RequestContext, TransactionService } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { randomUUID } from 'node:crypto';
import { DELIVER_JOB, deliverJobs, TEST_EVENT } from './delivery/constants';
import { DeliveryService } from './delivery/delivery.service';
import {
  DeliveryQueryDto,
  MessageQueryDto,
  ReplayResultView,
  WebhookAttemptView,
  WebhookMessageDetailView,
  WebhookMessageView,
} from './dto/webhook-delivery.dto';
import { WebhookAttempt } from './entities/webhook-attempt.entity';
import { WebhookMessage } from './entities/webhook-message.entity';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhooksRepository } from './webhooks.repository';

/** The delivery log of the caller's endpoints, and sending messages again. */
@Injectable()
export class WebhookMessagesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repo: WebhooksRepository,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly endpoints: WebhookEndpointsService,
    private readonly tenants: TenantsService,
    private readonly clock: Clock,
    private readonly delivery: DeliveryService,
  ) {}

  async attempts(ctx: RequestContext, endpointId: string, query: DeliveryQueryDto): Promise<Page<WebhookAttemptView>> {
    const endpoint = await this.endpoints.findOrFail(ctx, endpointId);
    const page = await this.repo.listAttempts(ctx, endpoint.id, query);
    return { ...page, items: page.items.map(({ attempt, eventType }) => toAttemptView(attempt, eventType)) };
  }

  async messages(ctx: RequestContext, endpointId: string, query: MessageQueryDto): Promise<Page<WebhookMessageView>> {
    const endpoint = await this.endpoints.findOrFail(ctx, endpointId);
    const page = await this.repo.listMessages(ctx, endpoint.id, query);
    return { ...page, items: page.items.map(toMessageView) };
  }

  async message(ctx: RequestContext, id: string): Promise<WebhookMessageView> {
    return toMessageView(await this.messageOrFail(ctx, id));
  }

  /** The message with the body every attempt sent. */
  async messageDetail(ctx: RequestContext, id: string): Promise<WebhookMessageDetailView> {
    const message = await this.messageOrFail(ctx, id);
    return { ...toMessageView(message), payload: message.payload };
  }

  /**
   * A signed `webhook.test` message to this endpoint, sent now and awaited so the caller can say
   * what the receiver answered; a failure is retried on the usual schedule like any message.
   */
  async sendTest(ctx: RequestContext, endpointId: string): Promise<WebhookMessageView> {
    const id = await this.tx.run(async () => {
      const endpoint = await this.endpoints.findOrFail(ctx, endpointId);
      if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled: enable it first, then send a test event');
      const now = this.clock.now();
      const message = { id: randomUUID(), eventId: randomUUID() };
      await this.repo.insertMessages([
        {
          ...message,
          endpointId: endpoint.id,
          tenantId: endpoint.tenantId,
          eventType: TEST_EVENT,
          payload: JSON.stringify({
            type: TEST_EVENT,
            timestamp: now.toISOString(),
            data: { endpointId: endpoint.id, note: 'A test event sent by an administrator; nothing changed.' },
          }),
          nextAttemptAt: now,
        },
      ]);
      await this.audit.record(ctx, {
        action: 'webhook_endpoint.test_sent',
        targetType: 'webhook_endpoint',
        targetId: endpoint.id,
        tenant: endpoint.tenantId ? await this.tenants.findById(endpoint.tenantId) : null,
        details: { messageId: message.id },
      });
      return message.id;
    });
    await this.delivery.deliver([id]);
    return this.message(ctx, id);
  }

  /** Sends the message again now, with a fresh retry schedule (same webhook-id and body). */
  async resend(ctx: RequestContext, id: string): Promise<WebhookMessageView> {
    const message = await this.tx.run(async () => {
      const msg = await this.messageOrFail(ctx, id);
      const endpoint = await this.repo.endpointById(msg.endpointId);
      if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled: enable it first, then resend');
      Object.assign(msg, { status: 'pending', scheduleStep: 0, nextAttemptAt: this.clock.now(), failedAt: null });
      await this.repo.updateMessage(msg.id, { status: 'pending', scheduleStep: 0, nextAttemptAt: msg.nextAttemptAt, failedAt: null });
      await this.audit.record(ctx, {
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
    const ids = await this.tx.run(async () => {
      const endpoint = await this.endpoints.findOrFail(ctx, endpointId);
      if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled: enable it first, then replay');
      const found = await this.repo.failedMessageIds(endpoint.id, since);
      await this.repo.updateMessages(found, { status: 'pending', scheduleStep: 0, nextAttemptAt: this.clock.now(), failedAt: null });
      await this.audit.record(ctx, {
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
    const message = await this.repo.findMessage(ctx, id);
    if (!message) throw new NotFoundError('Webhook message');
    return message;
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
    requestHeaders: a.requestHeaders,
    responseHeaders: a.responseHeaders,
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
