import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/** How a tenant's portal is wired to Portico: who may frame Portico pages, its billing API, its data-sharing URL. */
@Entity('tenant_integrations')
export class TenantIntegration extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Index({ unique: true })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'simple-json' })
  embedOrigins: string[] = [];

  @Column({ type: 'varchar', length: 2048, nullable: true })
  billingApiUrl: string | null = null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  billingApiUsername: string | null = null;

  // AES-256-GCM, sealed by CryptoService: Portico must present it, so it cannot be a hash.
  @Column({ type: 'text', nullable: true })
  billingApiPasswordSealed: string | null = null;

  @Column({ type: 'boolean' })
  billingApiAllowPrivateNetwork: boolean = false;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  dataSharingUrl: string | null = null;

  // Both set or both null (null: the global default).
  @Column({ type: 'integer', nullable: true })
  rateLimitPerSecond: number | null = null;

  @Column({ type: 'integer', nullable: true })
  rateLimitBurst: number | null = null;
}
