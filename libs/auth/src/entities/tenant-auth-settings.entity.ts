import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export interface MethodFlags {
  password: boolean;
  saml: boolean;
  ldap: boolean;
  external: boolean;
  oidc: boolean;
}

/** A tenant's overrides of the global authentication settings; null means "as globally set". */
@Entity('tenant_auth_settings')
export class TenantAuthSettings extends BaseEntity {
  @Index({ unique: true })
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: Boolean, nullable: true })
  signupEnabled: boolean | null = null;

  @Column({ type: 'simple-json', nullable: true })
  methods: MethodFlags | null = null;
}
