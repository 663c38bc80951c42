import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export type ChargeRoute = 'tenant' | 'direct';
/**
 * `unknown`: a call may have reached the tenant's billing API (no answer in time, a 5xx, a process
 * killed mid-call) and no later answer confirmed or refused the bill, so the tenant may hold it.
 * `failed` only when no try can have made a bill.
 */
export type ChargeStatus = 'pending' | 'submitted' | 'open' | 'failed' | 'unknown';
export const CHARGE_STATUSES: readonly ChargeStatus[] = ['pending', 'submitted', 'open', 'failed', 'unknown'];
/** Tenant charges a run sends again (with their key) when it meets them. */
export const RESENT_STATUSES: readonly ChargeStatus[] = ['pending', 'failed', 'unknown'];
export const CHARGE_ROUTES: readonly ChargeRoute[] = ['tenant', 'direct'];

/**
 * What an organization is billed for one period: at most one per (organization, period), which
 * the database enforces, so no run, retry or second instance can bill twice. Its id is the
 * Idempotency-Key of the tenant API call. The organization's name, tenant and externalUid are
 * copied in: a retry sends exactly the first request again, and the record outlives the
 * organization (no foreign key on purpose).
 */
@Entity('charges')
@Index(['organizationId', 'period'], { unique: true })
@Index(['period', 'status'])
@Index(['tenantId', 'period'])
@Index(['runId'])
export class Charge extends BaseEntity {
  @Column({ type: 'uuid' })
  organizationId: string;

  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 200 })
  organizationName: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  externalUid: string | null;

  @Column({ type: 'varchar', length: 7 })
  period: string;

  @Column({ type: 'integer' })
  amountCents: number;

  @Column({ type: 'varchar', length: 3 })
  currency: string;

  @Column({ type: 'varchar', length: 8 })
  route: ChargeRoute;

  @Column({ type: 'varchar', length: 16 })
  status: ChargeStatus;

  @Column({ type: 'varchar', length: 255, nullable: true })
  externalBillId: string | null = null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  externalStatus: string | null = null;

  @Column({ type: 'integer' })
  attempts: number = 0;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError: string | null = null;

  /**
   * Some call may have reached the tenant's API without a refusal: set before each call is sent
   * and cleared only by an answer that proves nothing was made, so a kill mid-call leaves it set.
   */
  @Column({ type: Boolean, default: false })
  possiblyBilled: boolean = false;

  /** The run that billed it (or is billing it). */
  @ForeignKey('billing_runs', { onDelete: 'SET NULL' })
  @Column({ type: 'uuid', nullable: true })
  runId: string | null;

  /** The run execution (its owner token) submitting it right now: tenant route, while pending. */
  @Column({ type: 'uuid', nullable: true })
  claimedBy: string | null = null;
}
