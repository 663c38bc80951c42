import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export const MESSAGE_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * One event for one endpoint. Its id is the `webhook-id` header, the same on every attempt, and its
 * payload is fixed when it is made, so every attempt sends the same bytes. The database state is
 * the truth: queued jobs only say "look at this message now".
 */
@Entity('webhook_messages')
@Index(['endpointId', 'eventId'], { unique: true })
@Index(['status', 'nextAttemptAt'])
@Index(['endpointId', 'createdAt'])
export class WebhookMessage extends BaseEntity {
  @ForeignKey('webhook_endpoints', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  endpointId: string;

  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'uuid' })
  eventId: string;

  @Column({ type: 'varchar', length: 64 })
  eventType: string;

  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 16 })
  status: MessageStatus = 'pending';

  @Column({ type: 'integer' })
  attempts: number = 0;

  /** Index into the retry schedule of the next attempt (a manual resend starts it again). */
  @Column({ type: 'integer' })
  scheduleStep: number = 0;

  @Column({ type: Date, nullable: true })
  nextAttemptAt: Date | null = null;

  /** A worker is sending it until then; after that (a killed worker) another may. */
  @Column({ type: Date, nullable: true })
  lockedUntil: Date | null = null;

  /** Which claim holds the lease: a sender reads back exactly the messages it took. */
  @Column({ type: 'uuid', nullable: true })
  claimToken: string | null = null;

  @Column({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null = null;

  @Column({ type: 'integer', nullable: true })
  lastDurationMs: number | null = null;

  @Column({ type: Date, nullable: true })
  deliveredAt: Date | null = null;

  @Column({ type: Date, nullable: true })
  failedAt: Date | null = null;
}
