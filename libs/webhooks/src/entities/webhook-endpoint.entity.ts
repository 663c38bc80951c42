import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/**
 * A tenant's receiver of domain events. The signing secret is encrypted, not hashed: Portico signs
 * with it. During a rotation the previous secret signs too, until previousSecretExpiresAt.
 */
@Entity('webhook_endpoints')
@Index(['tenantId'])
export class WebhookEndpoint extends BaseEntity {
  /** null: a platform-level endpoint, for the events of direct customers (records without a tenant). */
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'simple-json' })
  events: string[];

  /** What the receiver is, for people reading the list (searchable with the URL). */
  @Column({ type: 'varchar', length: 200, nullable: true })
  description: string | null = null;

  @Column({ type: Boolean })
  enabled: boolean = true;

  /** Loopback/private destinations, and plain http, only when an administrator says so. */
  @Column({ type: Boolean })
  allowPrivateNetwork: boolean = false;

  @Column({ type: 'text' })
  secretSealed: string;

  @Column({ type: 'text', nullable: true })
  previousSecretSealed: string | null = null;

  @Column({ type: Date, nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** Why Portico turned the endpoint off (410 Gone, failing for days); null when an administrator did. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  disabledReason: string | null = null;

  @Column({ type: Date, nullable: true })
  disabledAt: Date | null = null;

  /** The first failed attempt since the last success: the failure streak. */
  @Column({ type: Date, nullable: true })
  failingSince: Date | null = null;

  @Column({ type: 'integer' })
  consecutiveFailures: number = 0;
}
