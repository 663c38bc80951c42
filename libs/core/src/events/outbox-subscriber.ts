import { SetMetadata } from '@nestjs/common';
import type { DomainEventName } from './domain-events';

export const OUTBOX_SUBSCRIBER = 'portico:outbox-subscriber';

/**
 * Marks a @JobProcessor as receiving every batch of committed domain events. Delivery is at least
 * once: a batch can arrive twice (a crash between enqueueing and marking it dispatched), so the
 * processor must be idempotent per event id.
 */
export const OutboxSubscriber = (): ClassDecorator => SetMetadata(OUTBOX_SUBSCRIBER, true);

/** One committed event as a subscriber receives it. */
export interface DispatchedEvent {
  id: string;
  name: DomainEventName;
  tenantId: string | null;
  data: Record<string, unknown>;
  /** ISO 8601 */
  occurredAt: string;
}

export interface OutboxBatch {
  events: DispatchedEvent[];
}
