import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type AuthMode = 'portico' | 'external';

/** A customer account ("site"). Direct customers have no tenant. */
@Entity('organizations')
@Index(['tenantId', 'externalUid'], { unique: true })
@Index(['tenantId', 'name'], { unique: true })
@Index('uq_organizations_direct_name', ['name'], { unique: true, where: 'tenant_id IS NULL' })
@Index('uq_organizations_direct_external_uid', ['externalUid'], { unique: true, where: 'tenant_id IS NULL' })
export class Organization extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Index({ unique: true })
  @Column({ type: 'integer' })
  siteId: number;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  externalUid: string | null;

  @Column({ type: 'varchar', length: 16 })
  authMode: AuthMode = 'portico';

  // A provider in use cannot be deleted: it must first be unassigned from its organizations.
  @ForeignKey('external_login_providers', { onDelete: 'RESTRICT' })
  @Column({ type: 'uuid', nullable: true })
  externalLoginProviderId: string | null;

  @Column({ type: 'integer', nullable: true })
  planPriceCents: number | null;

  @Column({ type: 'varchar', length: 3, nullable: true })
  planCurrency: string | null;
}
