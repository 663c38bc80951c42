import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/** Failure counter for one key (kind + account or client IP); see LoginThrottleService. */
@Entity('login_throttles')
export class LoginThrottle extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 400 })
  key: string;

  @Column({ type: 'integer' })
  failures: number = 0;

  @Column({ type: 'integer' })
  lockouts: number = 0;

  @Column({ type: Date, nullable: true })
  lockedUntil: Date | null = null;
}
