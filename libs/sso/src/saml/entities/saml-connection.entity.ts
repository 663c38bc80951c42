import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export interface SamlAttributeMapping {
  email: string;
  firstName: string;
  lastName: string;
  groupUid: string;
  groupName: string;
  groupRole: string;
}

/** One tenant's SAML connection: Portico's SP key pair and the tenant's IdP. */
@Entity('saml_connections')
export class SamlConnection extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Index({ unique: true })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'boolean' })
  enabled: boolean = false;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  idpEntityId: string | null = null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  idpSsoUrl: string | null = null;

  /** PEM certificates; several at once so the IdP can rotate its key without an outage. */
  @Column({ type: 'simple-json' })
  idpCertificates: string[] = [];

  @Column({ type: 'varchar', length: 2048, nullable: true })
  idpMetadataUrl: string | null = null;

  @Column({ type: 'varchar', length: 255 })
  nameIdFormat: string = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

  @Column({ type: 'boolean' })
  jitProvisioning: boolean = true;

  @ForeignKey('organizations', { onDelete: 'SET NULL' })
  @Column({ type: 'uuid', nullable: true })
  defaultOrganizationId: string | null = null;

  @Column({ type: 'simple-json' })
  attributeMapping: SamlAttributeMapping;

  @Column({ type: 'boolean' })
  allowIdpInitiated: boolean = false;

  @Column({ type: 'integer' })
  clockSkewSeconds: number = 120;

  // AES-256-GCM, sealed by CryptoService: Portico signs AuthnRequests with it.
  @Column({ type: 'text' })
  spPrivateKeySealed: string;

  @Column({ type: 'text' })
  spCertificate: string;

  /** The certificate before the last rotation, still published in the metadata while IdPs catch up. */
  @Column({ type: 'text', nullable: true })
  spPreviousCertificate: string | null = null;
}
