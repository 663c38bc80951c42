import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BillingService, periodOf, periodRange } from '@portico/billing';
import { AuditService, Clock, ConsoleOnly, Ctx, RequestContext } from '@portico/core';
import { MailService } from '@portico/mail';
import { OrganizationsService } from '@portico/organizations';
import { SamlService } from '@portico/sso';
import { TenantsService } from '@portico/tenants';
import { UsersService } from '@portico/users';
import { WebhooksService } from '@portico/webhooks';
import type { Request, Response } from 'express';
import { billingCharts, chartPeriods } from './billing-chart';
import { consolePage } from './console-page';
import { checklist, SIGN_IN_REFUSED, SIGN_IN_SUCCEEDED, signInChart, STEP_ACTIONS } from './dashboard';

const CHART_MONTHS = 6;
const CERTIFICATE_WARNING_DAYS = 30;

/** Console home: how much there is, what needs attention, and the first steps on a fresh install. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console')
export class DashboardController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly webhooks: WebhooksService,
    private readonly billing: BillingService,
    private readonly mail: MailService,
    private readonly saml: SamlService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  @Get()
  async dashboard(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    const now = this.clock.now();
    const periods = chartPeriods(periodOf(now), CHART_MONTHS);
    // Each count is the total of a one-row page: the lists' own scoping and filters, no new queries to keep in step.
    const one = { limit: 1 };
    const [tenants, organizations, users, billable, endpoints, failedCharges, pendingCharges, runs, mailWaiting, certificates] =
      await Promise.all([
        this.tenants.list(one),
        this.organizations.list(ctx, one),
        this.users.list(ctx, one),
        this.users.list(ctx, { ...one, billable: true }),
        this.webhooks.endpointHealth(ctx),
        this.billing.listCharges(ctx, { ...one, status: 'failed' }),
        this.billing.listCharges(ctx, { ...one, status: 'pending' }),
        this.billing.listRuns(ctx, one),
        this.mail.waitingCount(),
        this.saml.expiringIdpCertificates(now, CERTIFICATE_WARNING_DAYS),
      ]);
    const [recorded, signIns, monthly] = await Promise.all([
      this.audit.recordedActions(Object.values(STEP_ACTIONS).flat()),
      this.audit.monthlyCounts([...SIGN_IN_SUCCEEDED, ...SIGN_IN_REFUSED], periodRange(periods[0]).start),
      this.billing.monthlyTotals(ctx, periods[0], periods[periods.length - 1]),
    ]);
    const lastRun = runs.items[0] ?? null;
    const gettingStarted = checklist({
      tenants: tenants.total,
      organizations: organizations.total,
      webhookEndpoints: endpoints.total,
      recorded: new Set(recorded),
      firstTenantKey: tenants.items[0]?.key ?? null,
    });
    res.render(
      'pages/console/dashboard',
      consolePage(req, 'Dashboard', '/console', {
        counts: { tenants: tenants.total, organizations: organizations.total, users: users.total, billable: billable.total },
        health: {
          endpoints,
          failedCharges: failedCharges.total,
          pendingCharges: pendingCharges.total,
          lastRun,
          lastRunTone: lastRun ? (lastRun.status === 'completed' ? 'ok' : lastRun.status === 'failed' ? 'bad' : 'wait') : null,
          mailWaiting,
          certificates: certificates.map((c) => ({ ...c, expired: c.notAfter <= now })),
        },
        gettingStarted,
        signInChart: signInChart(signIns, periods),
        chargeCharts: billingCharts(monthly, periods),
      }),
    );
  }
}
