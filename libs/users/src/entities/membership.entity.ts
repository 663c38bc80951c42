import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index, JoinColumn, ManyToOne } from 'typeorm';
import { User } from './user.entity';

export type MembershipRole = 'owner' | 'admin' | 'member';
export const MEMBERSHIP_ROLES: MembershipRole[] = ['owner', 'admin', 'member'];

/** A user's place in an organization. Deleting either side deletes it (database cascade). */
@Entity('memberships')
@Index(['userId', 'organizationId'], { unique: true })
export class Membership extends BaseEntity {
  @Column({ type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn()
  user?: User;

  @Index()
  @ForeignKey('organizations', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  organizationId: string;

  @Column({ type: 'varchar', length: 16 })
  role: MembershipRole;
}
