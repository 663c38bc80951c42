import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';
import type { AttributeMapping, GroupRoleMapping, LdapPreset } from '../config/presets';

/**
 * An LDAP or Active Directory server Portico checks passwords against: a tenant's own (its users
 * sign in on /t/{key}/login) or a global one (tenantId null: direct users on /login). The service
 * account's password is encrypted at rest.
 */
@Entity('ldap_directories')
@Index(['tenantId', 'name'], { unique: true })
@Index('uq_ldap_directories_global_name', ['name'], { unique: true, where: 'tenant_id IS NULL' })
export class LdapDirectory extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null = null;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'varchar', length: 32 })
  preset: LdapPreset = 'openldap';

  @Column({ type: 'varchar', length: 1024, nullable: true })
  bindDn: string | null = null;

  @Column({ type: 'text', nullable: true })
  bindPasswordEncrypted: string | null = null;

  @Column({ type: 'varchar', length: 1024 })
  searchBase: string;

  @Column({ type: 'varchar', length: 1024 })
  searchFilter: string;

  @Column({ type: Boolean })
  startTls: boolean = false;

  @Column({ type: 'text', nullable: true })
  caCertificate: string | null = null;

  @Column({ type: 'simple-json' })
  attributeMapping: AttributeMapping;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  groupSearchBase: string | null = null;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  groupSearchFilter: string | null = null;

  @Column({ type: 'simple-json' })
  groupRoleMapping: GroupRoleMapping = {};

  @Column({ type: Boolean })
  jitProvisioning: boolean = false;

  @Column({ type: Boolean })
  enabled: boolean = true;

  @Column({ type: 'integer' })
  timeoutMs: number = 5000;
}
