import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/**
 * Delegation: checks for this server (and class, when set) are asked of an external service, a CRM
 * for instance, in the check endpoint's own format. A partial index keeps one class-less source per
 * server, where NULLs would not collide.
 */
@Entity('entitlement_sources')
@Index(['server', 'className'], { unique: true })
@Index('uq_entitlement_sources_any_class', ['server'], { unique: true, where: 'class_name IS NULL' })
export class EntitlementSource extends BaseEntity {
  @Column({ type: 'varchar', length: 255 })
  server: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  className: string | null;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'integer' })
  cacheSeconds: number = 60;

  @Column({ type: 'integer' })
  timeoutMs: number = 3000;

  /** Loopback/private destinations, and plain http, only when an administrator says so. */
  @Column({ type: Boolean })
  allowPrivateNetwork: boolean = false;
}
