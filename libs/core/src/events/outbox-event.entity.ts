import { Column, Entity, Index } from 'typeorm';
import { BaseEntity } from '../database/base.entity';

/**
 * A domain event written in the same transaction as the change it describes, so a committed change
 * always has its event and a rolled-back one never does. A dispatcher turns undispatched rows into
 * jobs (webhook deliveries, …). No foreign keys: an event outlives the records it names.
 */
@Entity('outbox_events')
@Index(['dispatchedAt', 'occurredAt'])
export class OutboxEvent extends BaseEntity {
  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'simple-json' })
  data: Record<string, unknown>;

  // Millisecond precision from the application (SQLite's clock has seconds).
  @Column({ type: Date })
  occurredAt: Date = new Date();

  @Column({ type: Date, nullable: true })
  dispatchedAt: Date | null = null;

  /** Until when a dispatcher holds the row while it enqueues it; past this, another may take it. */
  @Column({ type: Date, nullable: true })
  claimedUntil: Date | null = null;
}
