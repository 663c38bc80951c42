import { ApiProperty } from '@nestjs/swagger';
import type { BillingRunKind, BillingRunStatus, BillingRunTrigger } from '../entities/billing-run.entity';
import { CHARGE_STATUSES, type ChargeRoute, type ChargeStatus } from '../entities/charge.entity';

export class BillingTotalView {
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty({ enum: ['tenant', 'direct'] }) route: ChargeRoute;
  @ApiProperty({ description: 'Charges billed' }) count: number;
  @ApiProperty({ description: 'Their sum, in the currency’s minor unit' }) amountCents: number;
}

export class BillingRunCountsView {
  @ApiProperty({ description: 'Organizations with a plan the run went through' }) organizations: number;
  @ApiProperty({ description: 'Of those, already billed for the period by another run' }) alreadyBilled: number;
  @ApiProperty({ description: 'Direct charges recorded (status open)' }) direct: number;
  @ApiProperty({ description: 'Bills accepted by tenant billing APIs (status submitted)' }) submitted: number;
  @ApiProperty({ description: 'Charges that failed, each with its reason: no bill was made' }) failed: number;
  @ApiProperty({ description: 'Tenant bills still being sent' }) pending: number;
  @ApiProperty({ description: 'Tenant bills that may exist on the tenant’s side, unconfirmed (status unknown)' }) unknown: number;
}

export class BillingRunView {
  @ApiProperty() id: string;
  @ApiProperty({ example: '2026-11' }) period: string;
  @ApiProperty({ enum: ['scheduled', 'manual'] }) kind: BillingRunKind;
  @ApiProperty({ enum: ['schedule', 'api', 'console', 'cli'] }) trigger: BillingRunTrigger;
  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] }) status: BillingRunStatus;
  @ApiProperty({ enum: [false] }) dryRun: false;
  @ApiProperty() requestedBy: string;
  @ApiProperty({ type: BillingRunCountsView }) counts: BillingRunCountsView;
  @ApiProperty({ type: [BillingTotalView] }) totals: BillingTotalView[];
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: Date, nullable: true }) startedAt: Date | null;
  @ApiProperty({ type: Date, nullable: true }) finishedAt: Date | null;
  @ApiProperty() createdAt: Date;
}

export class BillingPreviewItemView {
  @ApiProperty() organizationId: string;
  @ApiProperty() organizationName: string;
  @ApiProperty({ type: String, nullable: true }) tenantKey: string | null;
  @ApiProperty({ enum: ['tenant', 'direct'] }) route: ChargeRoute;
  @ApiProperty() amountCents: number;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: ['charge', 'retry'], description: 'retry: a tenant bill that failed or was cut off, sent again with its key' })
  action: 'charge' | 'retry';
  @ApiProperty({ type: String, nullable: true, description: 'Why it would fail' }) problem: string | null;
}

export class BillingPreviewCountsView {
  @ApiProperty() organizations: number;
  @ApiProperty() alreadyBilled: number;
  @ApiProperty({ description: 'New direct charges' }) direct: number;
  @ApiProperty({ description: 'New tenant bills' }) tenant: number;
  @ApiProperty({ description: 'Tenant bills sent again' }) retry: number;
  @ApiProperty({ description: 'Would fail (see each item’s problem)' }) wouldFail: number;
}

export class BillingPreviewView {
  @ApiProperty() period: string;
  @ApiProperty({ enum: [true] }) dryRun: true;
  @ApiProperty({ type: BillingPreviewCountsView }) counts: BillingPreviewCountsView;
  @ApiProperty({ type: [BillingTotalView], description: 'What would be billed, per currency and route' }) totals: BillingTotalView[];
  @ApiProperty({ type: [BillingPreviewItemView], description: 'What would be billed, by organization id (the first 1,000)' })
  items: BillingPreviewItemView[];
  @ApiProperty({ description: 'More items than listed' }) itemsTruncated: boolean;
}

export class ChargeView {
  @ApiProperty({ description: 'Also the Idempotency-Key of the tenant bill' }) id: string;
  @ApiProperty() organizationId: string;
  @ApiProperty() organizationName: string;
  @ApiProperty({ type: String, nullable: true }) tenantKey: string | null;
  @ApiProperty({ example: '2026-11' }) period: string;
  @ApiProperty() amountCents: number;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: ['tenant', 'direct'] }) route: ChargeRoute;
  @ApiProperty({
    enum: CHARGE_STATUSES,
    description:
      'unknown: a call may have reached the tenant’s billing API and no answer confirmed or refused the bill, so the tenant may hold it; ' +
      'running the period again sends it with the same Idempotency-Key. failed: no bill was made.',
  })
  status: ChargeStatus;
  @ApiProperty({ type: String, nullable: true, description: 'The bill id the tenant API returned' }) externalBillId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The bill status the tenant API returned' }) externalStatus: string | null;
  @ApiProperty({ description: 'Calls made to the tenant API, over every run that sent it' }) attempts: number;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: String, nullable: true }) runId: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

/** Billed amounts of one period, route and currency (the console's chart). */
export interface MonthlyTotal {
  period: string;
  route: ChargeRoute;
  currency: string;
  count: number;
  amountCents: number;
}
