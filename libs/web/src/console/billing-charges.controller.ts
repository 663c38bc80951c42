import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BillingService, CHARGE_ROUTES, CHARGE_STATUSES, ChargeQueryDto, periodLabel } from '@portico/billing';
import { ConsoleOnly, Ctx, formatAmount, RequestContext } from '@portico/core';
import { OrganizationsService } from '@portico/organizations';
import type { Request, Response } from 'express';
import { BILLING_TABS } from './billing.controller';
import { consolePage } from './console-page';
import { CONSOLE_PAGE_SIZE, filterParam, FormBody, offsetParam, pager, parseForm } from './forms';
import { organizationFromField, organizationNameChoices } from './organization-choice';

const AREA = '/console/billing/charges';
const LABELS = {
  period: 'Period',
  status: 'Status',
  route: 'Route',
  runId: 'Run',
  tenantKey: 'Tenant key',
};

/** Console: charges with filters (period, status, route, tenant, organization, run). */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/billing/charges')
export class ConsoleBillingChargesController {
  constructor(
    private readonly billing: BillingService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get()
  async list(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const filters = {
      period: filterParam(query, 'period', 7),
      status: filterParam(query, 'status', 16),
      route: filterParam(query, 'route', 8),
      tenantKey: filterParam(query, 'tenantKey', 63),
      // By name or site ID, as people know an organization.
      organization: filterParam(query, 'organization'),
      runId: filterParam(query, 'runId', 36),
    };
    const { organization, ...others } = filters;
    const org = await organizationFromField(this.organizations, ctx, organization ?? '', filters.tenantKey);
    // The same checks as the API; a bad filter is said on the page (400) and the list is left empty.
    const dto = await parseForm(ChargeQueryDto, { ...others, organizationId: org.ok ? org.value?.id : undefined }, LABELS);
    const parsed = org.ok ? dto : org;
    const page = parsed.ok
      ? await this.billing.listCharges(ctx, { ...parsed.value, limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) })
      : { items: [], total: 0, limit: CONSOLE_PAGE_SIZE, offset: 0 };
    if (!parsed.ok) res.status(parsed.problem.status);
    res.render(
      'pages/console/billing/charges',
      consolePage(req, 'Charges', '/console/billing', {
        tabs: BILLING_TABS('charges'),
        errors: parsed.ok ? undefined : parsed.problem.errors,
        filters,
        filtered: Object.values(filters).some(Boolean),
        anyUnknown: page.items.some((c) => c.status === 'unknown'),
        statuses: CHARGE_STATUSES.map((s) => ({ value: s, selected: s === filters.status })),
        routes: CHARGE_ROUTES.map((r) => ({ value: r, selected: r === filters.route })),
        charges: page.items.map((c) => ({
          ...c,
          periodName: periodLabel(c.period),
          amount: formatAmount(c.amountCents, c.currency),
          badge: c.status === 'failed' || c.status === 'unknown' ? 'warn' : c.status === 'pending' ? '' : 'ok',
          unknown: c.status === 'unknown',
        })),
        organizationNames: await organizationNameChoices(this.organizations, ctx),
        pager: pager(AREA, filters, page),
      }),
    );
  }
}
