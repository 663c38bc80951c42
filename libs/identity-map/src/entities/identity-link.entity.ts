import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type LinkedEntityType = 'user' | 'organization';
export const LINKED_ENTITY_TYPES: LinkedEntityType[] = ['user', 'organization'];

/**
 * One foreign id of a tenant's system mapped to a Portico record. Both directions are unique per
 * (tenant, provider, entity type), so one foreign id names one record and one record has one
 * foreign id per provider.
 */
@Entity('identity_links')
@Index(['tenantId', 'provider', 'entityType', 'foreignId'], { unique: true })
@Index(['tenantId', 'provider', 'entityType', 'localId'], { unique: true })
@Index(['localId'])
export class IdentityLink extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 64 })
  provider: string;

  @Column({ type: 'varchar', length: 32 })
  entityType: LinkedEntityType;

  @Column({ type: 'uuid' })
  localId: string;

  @Column({ type: 'varchar', length: 255 })
  foreignId: string;
}
