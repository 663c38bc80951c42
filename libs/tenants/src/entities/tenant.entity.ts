import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

export type TenantStatus = 'active' | 'suspended';

@Entity('tenants')
export class Tenant extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 63 })
  key: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  status: TenantStatus = 'active';
}
