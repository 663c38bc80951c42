import { Column, Entity, Index } from 'typeorm';
import { BaseEntity } from './base.entity';

/** Named counters for human-facing numbers (an organization's siteId) that must never be reused. */
@Entity('counters')
export class Counter extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'integer' })
  value: number;
}
