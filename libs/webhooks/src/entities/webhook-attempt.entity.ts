import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/** One HTTP request of a message to its endpoint: what came back and how long it took. */
@Entity('webhook_attempts')
@Index(['endpointId', 'at'])
@Index(['messageId', 'at'])
export class WebhookAttempt extends BaseEntity {
  @ForeignKey('webhook_messages', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  messageId: string;

  @Column({ type: 'uuid' })
  endpointId: string;

  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  /** 1 for the first attempt of the message. */
  @Column({ type: 'integer' })
  attempt: number;

  @Column({ type: 'integer', nullable: true })
  statusCode: number | null;

  @Column({ type: 'integer' })
  durationMs: number;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  /** The start of the answer (at most 2 KiB). */
  @Column({ type: 'text', nullable: true })
  responseBody: string | null;

  /** The headers sent, signatures shortened (null on attempts made before they were kept). */
  @Column({ type: 'simple-json', nullable: true })
  requestHeaders: Record<string, string> | null = null;

  /** The answer's headers, bounded and with cookies hidden (null when no answer came). */
  @Column({ type: 'simple-json', nullable: true })
  responseHeaders: Record<string, string> | null = null;

  // Millisecond precision from the application (SQLite's clock has seconds).
  @Column({ type: Date })
  at: Date;
}
