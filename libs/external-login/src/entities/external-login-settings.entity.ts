import { BaseEntity } from '@portico/core';
import { Column, Entity } from 'typeorm';

/** Portico as an external login provider for other systems: one row, made by the migration. */
@Entity('external_login_settings')
export class ExternalLoginSettings extends BaseEntity {
  @Column({ type: Boolean })
  enabled: boolean = false;

  @Column({ type: 'varchar', length: 100 })
  accessTokenHeader: string = 'x-access-token';

  @Column({ type: 'text', nullable: true })
  accessTokenEncrypted: string | null = null;

  /** Addresses and CIDR ranges (IPv4 and IPv6), normalised; empty: any address. */
  @Column({ type: 'simple-json' })
  allowedIps: string[] = [];
}
