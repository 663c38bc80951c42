import { Column, Entity, Index } from 'typeorm';
import { BaseEntity } from '../database/base.entity';

/** One write through the console or the API. Kept when its tenant is deleted, so no foreign keys. */
@Entity('audit_events')
@Index(['tenantKey', 'at'])
@Index(['action', 'at'])
@Index(['at'])
// The export's keyset: pages follow (at, id) in this order.
@Index(['at', 'id'])
// A user's events, done by them or to them, newest first (the user page, the log's user filter).
@Index(['actorId', 'at'])
@Index(['targetId', 'at'])
export class AuditEvent extends BaseEntity {
  // Millisecond precision from the application: SQLite's own clock only has seconds.
  @Column({ type: Date })
  at: Date = new Date();

  @Column({ type: 'varchar', length: 32 })
  actorKind: string;

  @Column({ type: 'varchar', length: 64 })
  actorId: string;

  @Column({ type: 'varchar', length: 320 })
  actorLabel: string;

  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  tenantKey: string | null;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'varchar', length: 64 })
  targetType: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  targetId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'simple-json', nullable: true })
  details: Record<string, unknown> | null;
}
