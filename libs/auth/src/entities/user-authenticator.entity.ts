import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/** A user's authenticator app: the TOTP seed (encrypted) and the last time step accepted. */
@Entity('user_authenticators')
export class UserAuthenticator extends BaseEntity {
  @Index({ unique: true })
  @ForeignKey('users', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'text' })
  secretEncrypted: string;

  @Column({ type: 'integer', nullable: true })
  lastStep: number | null = null;
}
