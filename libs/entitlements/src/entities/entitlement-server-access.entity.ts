import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/** Who may call the check endpoint for a server: IPs and CIDR ranges. No row: anyone. */
@Entity('entitlement_server_access')
export class EntitlementServerAccess extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 255 })
  server: string;

  @Column({ type: 'simple-json' })
  allowedIps: string[];
}
