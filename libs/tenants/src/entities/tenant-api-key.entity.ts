import { BaseEntity } from '@portico/core';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { Tenant } from './tenant.entity';

/** HTTP Basic `keyId:secret` for a partner portal. The secret is stored only as a SHA-256 hash. */
@Entity('tenant_api_keys')
export class TenantApiKey extends BaseEntity {
  @Index()
  @Column({ type: 'uuid' })
  tenantId: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn()
  tenant?: Tenant;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 32 })
  keyId: string;

  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  label: string | null;

  @Column({ type: Date, nullable: true })
  revokedAt: Date | null;
}
