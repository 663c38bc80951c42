import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type AutologinMethod = 'secret' | 'jwt';

/** A one-time sign-in link issued to a portal: redeemed once, within a minute. Only its hash is stored. */
@Entity('autologin_sessions')
export class AutologinSession extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @ForeignKey('users', { onDelete: 'CASCADE' })
  @Index()
  @Column({ type: 'uuid' })
  userId: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  sessionHash: string;

  @Column({ type: 'varchar', length: 16 })
  method: AutologinMethod;

  @Index()
  @Column({ type: Date })
  expiresAt: Date;

  @Column({ type: Date, nullable: true })
  redeemedAt: Date | null = null;
}
