import { Injectable } from '@nestjs/common';
import { RequestContext } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import { TenantsService } from '@portico/tenants';
import type { BillingRunTotal } from '../entities/billing-run.entity';
import { RESENT_STATUSES, type ChargeRoute } from '../entities/charge.entity';
import { BillingRepository } from '../billing.repository';
import { NO_EXTERNAL_UID } from './run-execution';

const PAGE = 500;
const SYSTEM = RequestContext.system('billing');

/** One organization a run would bill now: a new charge, or a tenant charge sent again. */
export interface PreviewItem {
  organizationId: string;
  organizationName: string;
  tenantKey: string | null;
  route: ChargeRoute;
  amountCents: number;
  currency: string;
  action: 'charge' | 'retry';
  /** Why it would fail instead (no externalUid for a tenant bill). */
  problem: string | null;
}

export interface PreviewCounts {
  organizations: number;
  alreadyBilled: number;
  direct: number;
  tenant: number;
  retry: number;
  wouldFail: number;
  totals: BillingRunTotal[];
}

/** A dry run: the same walk as a run, reading only. Items are streamed to `onItem`, never all held. */
@Injectable()
export class BillingPreview {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly tenants: TenantsService,
    private readonly repo: BillingRepository,
  ) {}

  async walk(period: string, onItem: (item: PreviewItem) => void, onPage?: (counts: PreviewCounts) => void): Promise<PreviewCounts> {
    const counts: PreviewCounts = { organizations: 0, alreadyBilled: 0, direct: 0, tenant: 0, retry: 0, wouldFail: 0, totals: [] };
    const totals = new Map<string, BillingRunTotal>();
    const billed = new Map<string, boolean>();
    const keys = new Map<string, string | null>();
    let after: string | null = null;
    for (;;) {
      const orgs = await this.organizations.withPlanPage(SYSTEM, after, PAGE);
      if (!orgs.length) break;
      after = orgs[orgs.length - 1].id;
      const unknown = [...new Set(orgs.map((o) => o.tenantId).filter((id): id is string => !!id && !billed.has(id)))];
      const refs = await this.tenants.findByIds(unknown);
      for (const id of unknown) {
        billed.set(id, !!(await this.tenants.billingApi(id)));
        keys.set(id, refs.get(id)?.key ?? null);
      }
      const existing = await this.repo.existingCharges(
        period,
        orgs.map((o) => o.id),
      );
      for (const org of orgs) {
        counts.organizations++;
        const found = existing.get(org.id);
        const retry = found?.route === 'tenant' && RESENT_STATUSES.includes(found.status);
        if (found && !retry) {
          counts.alreadyBilled++;
          continue;
        }
        const route: ChargeRoute = found ? found.route : org.tenantId && billed.get(org.tenantId) ? 'tenant' : 'direct';
        const problem = route === 'tenant' && !org.externalUid ? NO_EXTERNAL_UID : null;
        if (problem) counts.wouldFail++;
        else if (retry) counts.retry++;
        else counts[route]++;
        // A charge sent again keeps the amount it was made with.
        const amountCents = found ? found.amountCents : org.plan.priceCents;
        const currency = found ? found.currency : org.plan.currency;
        if (!problem) {
          const key = `${currency}/${route}`;
          const total = totals.get(key) ?? { currency, route, count: 0, amountCents: 0 };
          total.count++;
          total.amountCents += amountCents;
          totals.set(key, total);
        }
        onItem({
          organizationId: org.id,
          organizationName: org.name,
          tenantKey: org.tenantId ? (keys.get(org.tenantId) ?? null) : null,
          route,
          amountCents,
          currency,
          action: retry ? 'retry' : 'charge',
          problem,
        });
      }
      onPage?.(counts);
    }
    counts.totals = [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency) || a.route.localeCompare(b.route));
    return counts;
  }
}
