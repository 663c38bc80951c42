import { Injectable } from '@nestjs/common';
import { AuditService, Clock, ConflictError, JobQueue, NotFoundError, Page, RequestContext, TransactionService } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { DELIVER_JOB, deliverJobs } from './delivery/constants';
import { DeliveryQueryDto, MessageQueryDto, ReplayResultView, WebhookAttemptView, WebhookMessageView } from './dto/webhook-delivery.dto';
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
