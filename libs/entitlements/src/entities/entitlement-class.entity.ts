import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/** A product on a repository server, with the one real entitlement key that opens it. */
@Entity('entitlement_classes')
@Index(['server', 'name'], { unique: true })
export class EntitlementClass extends BaseEntity {
  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The repository host name, lower case. */
  @Column({ type: 'varchar', length: 255 })
  server: string;

  @Column({ type: 'varchar', length: 255 })
  realKey: string;
}
