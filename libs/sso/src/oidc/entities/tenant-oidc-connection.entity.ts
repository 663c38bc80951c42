import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export interface OidcClaimMapping {
  email: string;
  firstName: string;
  lastName: string;
  groupUid: string;
  groupName: string;
  groupRole: string;
}

export type OidcClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** One tenant's OpenID provider: Portico is its relying party. */
@Entity('tenant_oidc_connections')
export class TenantOidcConnection extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Index({ unique: true })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'boolean' })
  enabled: boolean = false;

  /** The provider's name on the sign-in button ("Sign in with …"); the issuer's host when empty. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  displayName: string | null = null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  issuer: string | null = null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  clientId: string | null = null;

  // AES-256-GCM, sealed by CryptoService.
  @Column({ type: 'text', nullable: true })
  clientSecretSealed: string | null = null;

  /** Portico's own key for private_key_jwt (an EC P-256 private JWK), sealed by CryptoService. */
  @Column({ type: 'text', nullable: true })
  clientKeySealed: string | null = null;

  /** Its public half, published at /t/{key}/oidc/jwks for the provider. */
  @Column({ type: 'text', nullable: true })
  clientPublicJwk: string | null = null;

  @Column({ type: 'varchar', length: 32 })
  tokenEndpointAuthMethod: OidcClientAuthMethod = 'client_secret_basic';

  @Column({ type: 'varchar', length: 1024 })
  scopes: string = 'openid email profile';

  @Column({ type: 'simple-json' })
  claimMapping: OidcClaimMapping;

  @Column({ type: 'boolean' })
  jitProvisioning: boolean = true;

  @ForeignKey('organizations', { onDelete: 'SET NULL' })
  @Column({ type: 'uuid', nullable: true })
  defaultOrganizationId: string | null = null;

  /** Set by a platform administrator only: the provider may be on loopback or a private network (and plain http). */
  @Column({ type: 'boolean' })
  allowPrivateNetwork: boolean = false;

  /** The provider's discovery document as last read, JSON. */
  @Column({ type: 'text', nullable: true })
  discovery: string | null = null;

  @Column({ type: Date, nullable: true })
  discoveredAt: Date | null = null;
}
