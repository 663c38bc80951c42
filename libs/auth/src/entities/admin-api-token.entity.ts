import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/** A platform-admin API token (Authorization: Bearer). Only its SHA-256 hash is stored. */
@Entity('admin_api_tokens')
export class AdminApiToken extends BaseEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: Date, nullable: true })
  revokedAt: Date | null = null;

  /** Recorded at most once a minute (ApiTokensService.verify), not on every request. */
  @Column({ type: Date, nullable: true })
  lastUsedAt: Date | null = null;
}
