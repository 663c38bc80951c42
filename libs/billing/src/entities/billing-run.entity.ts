import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

export type BillingRunKind = 'scheduled' | 'manual';
export type BillingRunTrigger = 'schedule' | 'api' | 'console' | 'cli';
export type BillingRunStatus = 'queued' | 'running' | 'completed' | 'failed';

/** What one run billed, per currency and route (charges it settled as billed). */
export interface BillingRunTotal {
  currency: string;
  route: 'tenant' | 'direct';
  count: number;
  amountCents: number;
}

/**
 * One billing run for a period. Several may run for the same period (they share the work through
 * the charges' unique key and claims), except the monthly schedule: one scheduled run per period,
 * which the partial unique index enforces across every instance.
 */
@Entity('billing_runs')
@Index('uq_billing_runs_scheduled_period', ['period'], { unique: true, where: "kind = 'scheduled'" })
@Index(['period', 'status'])
export class BillingRun extends BaseEntity {
  @Column({ type: 'varchar', length: 7 })
  period: string;

  @Column({ type: 'varchar', length: 16 })
  kind: BillingRunKind;

  @Column({ type: 'varchar', length: 16 })
  trigger: BillingRunTrigger;

  @Column({ type: 'varchar', length: 320 })
  requestedBy: string;

  @Column({ type: 'varchar', length: 16 })
  status: BillingRunStatus = 'queued';

  // The execution holding the run (a token per process attempt). A run whose heartbeat stopped may
  // be taken over under a new token, which also frees the charges the old one had claimed.
  @Column({ type: 'uuid', nullable: true })
  owner: string | null = null;

  @Column({ type: Date, nullable: true })
  heartbeatAt: Date | null = null;

  @Column({ type: Date, nullable: true })
  startedAt: Date | null = null;

  @Column({ type: Date, nullable: true })
  finishedAt: Date | null = null;

  /** Organizations with a plan that the run went through. */
  @Column({ type: 'integer' })
  organizations: number = 0;

  /** Of those, the ones billed for the period before this run reached them. */
  @Column({ type: 'integer' })
  alreadyBilled: number = 0;

  @Column({ type: 'integer' })
  directCharges: number = 0;

  @Column({ type: 'integer' })
  tenantCharges: number = 0;

  @Column({ type: 'integer' })
  failedCharges: number = 0;

  @Column({ type: 'integer' })
  pendingCharges: number = 0;

  /** Tenant charges whose bill may or may not exist on the tenant's side (status unknown). */
  @Column({ type: 'integer', default: 0 })
  unknownCharges: number = 0;

  @Column({ type: 'simple-json' })
  totals: BillingRunTotal[] = [];

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null = null;
}
