import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export interface MethodFlags {
  password: boolean;
  saml: boolean;
  ldap: boolean;
  external: boolean;
  oidc: boolean;
}

export const EMAIL_VERIFICATION_MODES = ['off', 'required'] as const;
/** off: an address is taken on trust; required: a new account signs in once its address is verified. */
export type EmailVerificationMode = (typeof EMAIL_VERIFICATION_MODES)[number];

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

  @Column({ type: 'varchar', length: 16, nullable: true })
  emailVerification: EmailVerificationMode | null = null;
}
