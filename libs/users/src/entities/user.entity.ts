import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type UserStatus = 'active' | 'disabled';

/**
 * A person. Email and username are unique per tenant, case-insensitively (the *_lower columns carry
 * the constraints; partial indexes cover users without a tenant, where NULLs would not collide).
 */
@Entity('users')
@Index(['tenantId', 'emailLower'], { unique: true })
@Index('uq_users_direct_email', ['emailLower'], { unique: true, where: 'tenant_id IS NULL' })
@Index(['tenantId', 'usernameLower'], { unique: true })
@Index('uq_users_direct_username', ['usernameLower'], { unique: true, where: 'tenant_id IS NULL' })
@Index(['tenantId', 'externalUid'], { unique: true })
@Index('uq_users_direct_external_uid', ['externalUid'], { unique: true, where: 'tenant_id IS NULL' })
export class User extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ type: 'varchar', length: 320 })
  emailLower: string;

  @Column({ type: 'varchar', length: 320 })
  username: string;

  @Column({ type: 'varchar', length: 320 })
  usernameLower: string;

  @Column({ type: 'varchar', length: 100 })
  firstName: string = '';

  @Column({ type: 'varchar', length: 100 })
  lastName: string = '';

  @Column({ type: Boolean })
  billable: boolean = false;

  @Column({ type: 'varchar', length: 16 })
  status: UserStatus = 'active';

  @Column({ type: Boolean })
  isPlatformAdmin: boolean = false;

  @Column({ type: 'varchar', length: 255, nullable: true })
  passwordHash: string | null = null;

  @Column({ type: Boolean })
  authenticatorEnabled: boolean = false;

  @Column({ type: 'varchar', length: 255, nullable: true })
  externalUid: string | null = null;

  @Column({ type: 'varchar', length: 32 })
  createdVia: string = 'api';

  /** The person proved the address is theirs (or nobody asked: API-created and older users). */
  @Column({ type: Boolean, default: true })
  emailVerified: boolean = true;
}
