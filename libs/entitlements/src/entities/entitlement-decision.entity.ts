import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/**
 * Check decisions, aggregated: identical decisions within one flush window (a second) are one row
 * with a count, so a hot key costs one row per second, not one per request.
 */
@Entity('entitlement_decisions')
@Index(['at'])
@Index(['code', 'at'])
export class EntitlementDecision extends BaseEntity {
  /** The first decision of the window. */
  @Column({ type: Date })
  at: Date;

  @Column({ type: 'integer' })
  count: number;

  @Column({ type: 'varchar', length: 32 })
  code: string;

  /** check (the public endpoint) or verify (the JSON API). */
  @Column({ type: 'varchar', length: 16 })
  channel: string;

  /** local (virtual keys) or source (delegated). */
  @Column({ type: 'varchar', length: 16 })
  via: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  server: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  className: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  key: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  remoteIp: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  callerIp: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  detail: string | null;
}
