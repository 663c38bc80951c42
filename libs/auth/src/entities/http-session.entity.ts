import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/** A browser session, when sessions live in the database (no REDIS_URL). */
@Entity('http_sessions')
export class HttpSession extends BaseEntity {
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 128 })
  sid: string;

  @Column({ type: 'text' })
  data: string;

  @Index()
  @Column({ type: Date })
  expiresAt: Date;

  // Who is signed in (null before sign-in), so all of a user's sessions can be ended at once.
  @Index()
  @Column({ type: 'uuid', nullable: true })
  userId: string | null = null;

  // Written by the touch every request already makes, so it costs no extra statement.
  @Column({ type: Date, nullable: true })
  lastSeenAt: Date | null = null;
}
