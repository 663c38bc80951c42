import { BillingRunView, ChargeView } from './dto/billing.views';
import { BillingRun } from './entities/billing-run.entity';
import { Charge } from './entities/charge.entity';

export function toRunView(r: BillingRun): BillingRunView {
  return {
    id: r.id,
    period: r.period,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    dryRun: false,
    requestedBy: r.requestedBy,
    counts: {
      organizations: r.organizations,
      alreadyBilled: r.alreadyBilled,
      direct: r.directCharges,
      submitted: r.tenantCharges,
      failed: r.failedCharges,
      pending: r.pendingCharges,
      unknown: r.unknownCharges,
    },
    totals: r.totals,
    lastError: r.lastError,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    createdAt: r.createdAt,
  };
}

export function toChargeView(c: Charge, tenantKey: string | null): ChargeView {
  return {
    id: c.id,
    organizationId: c.organizationId,
    organizationName: c.organizationName,
    tenantKey,
    period: c.period,
    amountCents: c.amountCents,
    currency: c.currency,
    route: c.route,
    status: c.status,
    externalBillId: c.externalBillId,
    externalStatus: c.externalStatus,
    attempts: c.attempts,
    lastError: c.lastError,
    runId: c.runId,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
