import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/**
 * A system that checks passwords for the organizations ("sites") assigned to it, with the contract
 * of POST /external-login. Secrets (access token, client certificate and key) are encrypted at rest.
 */
@Entity('external_login_providers')
export class ExternalLoginProvider extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  @Column({ type: 'varchar', length: 100 })
  accessTokenHeader: string = 'x-access-token';

  @Column({ type: 'text', nullable: true })
  accessTokenEncrypted: string | null = null;

  @Column({ type: 'text', nullable: true })
  clientCertificateEncrypted: string | null = null;

  @Column({ type: 'text', nullable: true })
  clientKeyEncrypted: string | null = null;

  @Column({ type: 'text', nullable: true })
  caCertificate: string | null = null;

  @Column({ type: 'integer' })
  timeoutMs: number = 5000;

  @Column({ type: Boolean })
  allowUserCreation: boolean = false;

  @Column({ type: Boolean })
  allowPrivateNetwork: boolean = false;
}
