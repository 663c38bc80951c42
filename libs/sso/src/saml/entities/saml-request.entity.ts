import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type SamlRequestPurpose = 'login' | 'test' | 'test-result';

/**
 * AuthnRequest ids Portico sent, kept server-side until the IdP answers (its cross-site POST does
 * not carry the Lax session cookie), and the outcome of console test logins. Each is taken once.
 */
@Entity('saml_requests')
@Index(['tenantId', 'requestId'], { unique: true })
@Index(['expiresAt'])
export class SamlRequest extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 128 })
  requestId: string;

  @Column({ type: 'varchar', length: 16 })
  purpose: SamlRequestPurpose;

  @Column({ type: 'text', nullable: true })
  payload: string | null = null;

  @Column({ type: Date })
  expiresAt: Date;
}
