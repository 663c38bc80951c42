import { Injectable } from '@nestjs/common';
import { AUDIT_EVENT, Clock, DispatchedEvent, JobHandler, JobProcessor, JobQueue, OutboxBatch, OutboxSubscriber } from '@portico/core';
import { createHash } from 'node:crypto';
import { DELIVER_JOB, deliverJobs, FANOUT_JOB } from '../delivery/constants';
import { WebhookEndpoint } from '../entities/webhook-endpoint.entity';
import { WebhookMessage } from '../entities/webhook-message.entity';
import { WebhooksRepository } from '../webhooks.repository';

/**
 * Committed domain events → one message per subscribed, enabled endpoint of the event's tenant.
 * Idempotent: a message's id derives from (endpoint, event), and a batch seen twice inserts nothing new.
 */
@Injectable()
@OutboxSubscriber()
@JobProcessor(FANOUT_JOB)
export class WebhookFanoutProcessor implements JobHandler<OutboxBatch> {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
  ) {}

  async handle({ events }: OutboxBatch): Promise<void> {
    const endpoints = await this.endpointsFor(events);
    if (!endpoints.length) return;
    const now = this.clock.now();
    const messages: Partial<WebhookMessage>[] = [];
    for (const event of events) {
      for (const endpoint of endpoints) {
        if (!receives(endpoint, event)) continue;
        messages.push({
          id: messageId(endpoint.id, event.id),
          endpointId: endpoint.id,
          tenantId: event.tenantId,
          eventId: event.id,
          eventType: event.name,
          payload: JSON.stringify({ type: event.name, timestamp: event.occurredAt, data: event.data }),
          nextAttemptAt: now,
        });
      }
    }
    await this.repo.insertMessages(messages);
    // Already-sent messages of a repeated batch are queued too: their claim finds them settled and stops.
    await this.jobs.enqueueMany(DELIVER_JOB, deliverJobs(messages.map((msg) => msg.id!)));
  }

  private async endpointsFor(events: DispatchedEvent[]): Promise<WebhookEndpoint[]> {
    const tenantIds = [...new Set(events.map((e) => e.tenantId).filter((id): id is string => !!id))];
    return this.repo.enabledEndpoints(
      tenantIds,
      // Platform endpoints also get every tenant's audit events.
      events.some((e) => !e.tenantId || e.name === AUDIT_EVENT),
    );
  }
}

/** An endpoint gets its tenant's subscribed events; one of no tenant also gets every tenant's `audit.event`. */
function receives(endpoint: WebhookEndpoint, event: DispatchedEvent): boolean {
  if (!endpoint.events.includes(event.name)) return false;
  return endpoint.tenantId === event.tenantId || (endpoint.tenantId === null && event.name === AUDIT_EVENT);
}

/** A uuid-shaped id fixed by (endpoint, event), so the same pair always names the same message. */
function messageId(endpointId: string, eventId: string): string {
  const h = createHash('sha256').update(`${endpointId}/${eventId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
