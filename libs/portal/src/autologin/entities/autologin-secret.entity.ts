import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/**
 * A tenant's autologin secret (one per tenant; rotating replaces it). Kept twice: as a SHA-256 hash,
 * compared in constant time when the portal sends the secret itself, and sealed (AES-256-GCM), because
 * checking a JWT's HS256 signature needs the key itself.
 */
@Entity('autologin_secrets')
export class AutologinSecret extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Index({ unique: true })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Column({ type: 'text' })
  secretSealed: string;
}
