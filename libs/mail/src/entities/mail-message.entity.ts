import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

export const MAIL_STATUSES = ['queued', 'stored', 'sent', 'failed'] as const;
/** queued: to send over SMTP; stored: kept for the Mailbox (no SMTP_URL); sent; failed for good. */
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * One mail, rendered when it is written (in the transaction of the change that asked for it), so
 * every attempt sends the same bytes. Its body carries live links: it is encrypted at rest and
 * cleared once the mail has left.
 */
@Entity('mail_messages')
@Index(['status', 'nextAttemptAt'])
@Index(['createdAt'])
export class MailMessage extends BaseEntity {
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null = null;

  @Column({ type: 'varchar', length: 63, nullable: true })
  tenantKey: string | null = null;

  @Column({ type: 'varchar', length: 320 })
  recipient: string;

  @Column({ type: 'varchar', length: 64 })
  template: string;

  @Column({ type: 'varchar', length: 500 })
  subject: string;

  /** The text part, sealed with PORTICO_SECRET_KEY; null once sent. */
  @Column({ type: 'text', nullable: true })
  textSealed: string | null = null;

  /** The HTML part, sealed; null once sent. */
  @Column({ type: 'text', nullable: true })
  htmlSealed: string | null = null;

  @Column({ type: 'varchar', length: 16 })
  status: MailStatus = 'queued';

  @Column({ type: 'integer' })
  attempts: number = 0;

  @Column({ type: Date, nullable: true })
  nextAttemptAt: Date | null = null;

  /** A process is sending it until then; after that (a killed process) another may. */
  @Column({ type: Date, nullable: true })
  lockedUntil: Date | null = null;

  @Column({ type: 'uuid', nullable: true })
  claimToken: string | null = null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null = null;

  @Column({ type: Date, nullable: true })
  sentAt: Date | null = null;

  @Column({ type: Date, nullable: true })
  failedAt: Date | null = null;
}
