import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

export const TOKEN_PURPOSES = ['email-verification', 'password-reset', 'email-change', 'invitation'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/**
 * A link sent by mail, for every purpose in one table: only the SHA-256 of its random token is
 * kept; used_at makes it single use.
 */
@Entity('account_tokens')
@Index(['tokenHash'], { unique: true })
@Index(['purpose', 'userId'])
@Index(['expiresAt'])
export class AccountToken extends BaseEntity {
  @Column({ type: 'varchar', length: 32 })
  purpose: TokenPurpose;

  @Column({ type: 'varchar', length: 64 })
  tokenHash: string;

  /** The account it is about; null for an invitation to an address with no account yet. */
  @Column({ type: 'uuid', nullable: true })
  userId: string | null = null;

  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null = null;

  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** What the purpose needs beyond the address (JSON). */
  @Column({ type: 'text', nullable: true })
  data: string | null = null;

  @Column({ type: Date })
  expiresAt: Date;

  @Column({ type: Date, nullable: true })
  usedAt: Date | null = null;
}
