import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

/** Assertion ids already accepted, each kept until its NotOnOrAfter: a replayed assertion is refused. */
@Entity('saml_assertion_replays')
@Index(['tenantId', 'assertionId'], { unique: true })
@Index(['expiresAt'])
export class SamlAssertionReplay extends BaseEntity {
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 256 })
  assertionId: string;

  @Column({ type: Date })
  expiresAt: Date;
}
