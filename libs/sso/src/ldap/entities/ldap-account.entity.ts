import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/**
 * A Portico user whose password a directory checks: the entry it was linked to on its first
 * directory sign-in. One directory entry names at most one user (dnHash is the normalised DN's
 * SHA-256), and a user belongs to at most one directory.
 */
@Entity('ldap_accounts')
@Index(['directoryId', 'dnHash'], { unique: true })
export class LdapAccount extends BaseEntity {
  @ForeignKey('ldap_directories', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  directoryId: string;

  @Index({ unique: true })
  @ForeignKey('users', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 1024 })
  dn: string;

  @Column({ type: 'varchar', length: 64 })
  dnHash: string;

  /** The entry's username attribute when it was linked: what later sign-ins search for. */
  @Column({ type: 'varchar', length: 320 })
  username: string;
}
