import { randomUUID } from 'node:crypto';
import { CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Every table: a uuid primary key made by the application, created_at and updated_at. */
export abstract class BaseEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string = randomUUID();

  @CreateDateColumn()
  createdAt: Date;

  @UpdateDateColumn()
  updatedAt: Date;
}
