import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type VirtualEntitlementStatus = 'active' | 'suspended';
export const VIRTUAL_STATUSES: VirtualEntitlementStatus[] = ['active', 'suspended'];

/**
 * A customer key (a CRM customer id, say) that stands for a class's real key. The check endpoint
 * looks it up by `key` alone, so (key, class) is the unique index that makes that lookup an index
 * hit; one customer key may open several classes.
 */
@Entity('virtual_entitlements')
@Index(['key', 'classId'], { unique: true })
@Index(['tenantId', 'key'])
@Index(['classId'])
export class VirtualEntitlement extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 255 })
  key: string;

  @ForeignKey('entitlement_classes', { onDelete: 'RESTRICT' })
  @Column({ type: 'uuid' })
  classId: string;

  @Column({ type: 'varchar', length: 16 })
  status: VirtualEntitlementStatus = 'active';

  @Column({ type: Date, nullable: true })
  expiresAt: Date | null;

  // The customer's organization; deleting it ends the customer's access with it.
  @Index()
  @ForeignKey('organizations', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  organizationId: string | null;
}
