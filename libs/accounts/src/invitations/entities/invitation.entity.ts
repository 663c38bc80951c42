import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type InvitationRole = 'owner' | 'admin' | 'member';
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/**
 * An address invited into an organization with a role. Its link is an account token (purpose
 * `invitation`); one pending invitation per address and organization is a database constraint.
 */
@Entity('invitations')
@Index('uq_invitations_pending', ['organizationId', 'emailLower'], { unique: true, where: "status = 'pending'" })
export class Invitation extends BaseEntity {
  @Index()
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Index()
  @ForeignKey('organizations', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  organizationId: string;

  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ type: 'varchar', length: 320 })
  emailLower: string;

  @Column({ type: 'varchar', length: 16 })
  role: InvitationRole;

  @Column({ type: 'varchar', length: 16 })
  status: InvitationStatus = 'pending';

  /** Who invited, as the audit names them (a person's address, a tenant key, an API token). */
  @Column({ type: 'varchar', length: 320 })
  invitedBy: string;

  @ForeignKey('users', { onDelete: 'SET NULL' })
  @Column({ type: 'uuid', nullable: true })
  invitedByUserId: string | null = null;

  /** The account token carrying the link (only its hash is stored, in account_tokens). */
  @Column({ type: 'uuid', nullable: true })
  tokenId: string | null = null;

  @Column({ type: Date })
  expiresAt: Date;

  @Column({ type: Date, nullable: true })
  acceptedAt: Date | null = null;

  @ForeignKey('users', { onDelete: 'SET NULL' })
  @Column({ type: 'uuid', nullable: true })
  acceptedUserId: string | null = null;

  @Column({ type: Date, nullable: true })
  revokedAt: Date | null = null;
}
