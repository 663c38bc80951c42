import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/** A JWT id already accepted for a tenant: the unique constraint is what makes a token single-use. */
@Entity('autologin_jwt_ids')
@Index(['tenantId', 'jti'], { unique: true })
export class AutologinJwtId extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 255 })
  jti: string;

  // Past the token's own expiry a replay is refused anyway, so the row may go.
  @Index()
  @Column({ type: Date })
  expiresAt: Date;
}
