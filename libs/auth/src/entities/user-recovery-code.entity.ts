import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/** One single-use recovery code for a user's authenticator step, kept as a keyed hash. */
@Entity('user_recovery_codes')
export class UserRecoveryCode extends BaseEntity {
  @Index()
  @ForeignKey('users', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ type: Date, nullable: true })
  usedAt: Date | null = null;
}
