import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/**
 * A delivery a tenant sent us, by its `webhook-id` or the hash of its content: the unique key is
 * what applies a delivery once. `results` stays null while the delivery is being applied.
 */
@Entity('inbound_receipts')
@Index(['tenantId', 'route', 'receiptKey'], { unique: true })
export class InboundReceipt extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 64 })
  route: string;

  @Column({ type: 'varchar', length: 300 })
  receiptKey: string;

  @Column({ type: 'simple-json', nullable: true })
  results: Record<string, unknown> | null = null;

  @Index()
  @Column({ type: Date })
  expiresAt: Date;
}
