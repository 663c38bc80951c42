import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  BillingPreviewView,
  BillingRunView,
  BillingService,
  BillingTotalView,
  CreateBillingRunDto,
  periodLabel,
  periodOf,
} from '@portico/billing';
import { Clock, ConsoleOnly, Ctx, formatAmount, IdParam, RequestContext } from '@portico/core';
import type { Request, Response } from 'express';
import { billingCharts, chartPeriods } from './billing-chart';
import { consolePage, flash } from './console-page';
import { attempt, checkbox, CONSOLE_PAGE_SIZE, FormBody, FormProblem, offsetParam, pager, parseForm, text } from './forms';

const AREA = '/console/billing';
const LABELS = { period: 'Period', dryRun: 'Dry run' };

export const BILLING_TABS = (active: 'runs' | 'charges') => [
  { href: AREA, label: 'Runs', active: active === 'runs' },
  { href: `${AREA}/charges`, label: 'Charges', active: active === 'charges' },
];

/** Console: billing runs (start one, dry runs, their outcome) and billed amounts per month. */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console/billing')
export class ConsoleBillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly clock: Clock,
  ) {}

  @Get()
  async overview(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    await this.renderOverview(ctx, req, res, query);
  }

  @Post('runs')
  async start(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Body() form: FormBody): Promise<void> {
    const parsed = await parseForm(CreateBillingRunDto, { period: text(form, 'period'), dryRun: checkbox(form, 'dryRun') }, LABELS);
    if (!parsed.ok) return this.renderOverview(ctx, req, res, {}, parsed.problem, form);
    const { period, dryRun } = parsed.value;
    if (dryRun) {
      const preview = await attempt(() => this.billing.dryRun(ctx, period));
      if (!preview.ok) return this.renderOverview(ctx, req, res, {}, preview.problem, form);
      const p = preview.value;
      res.status(200).render(
        'pages/console/billing/preview',
        consolePage(req, `Dry run: ${periodLabel(period)}`, AREA, {
          tabs: BILLING_TABS('runs'),
          preview: p,
          periodName: periodLabel(period),
          totals: totalsView(p.totals),
          items: p.items.map((i) => ({ ...i, amount: formatAmount(i.amountCents, i.currency) })),
          shown: p.items.length,
          listed: p.counts.direct + p.counts.tenant + p.counts.retry + p.counts.wouldFail,
        }),
      );
      return;
    }
    // A real run bills for real: the first click only leads to the page that says what it will do.
    if (text(form, 'confirm') !== 'yes') return res.redirect(303, `${AREA}/runs/confirm?period=${period}`);
    const run = await attempt(() => this.billing.startRun(ctx, period, 'console'));
    if (!run.ok) return this.renderOverview(ctx, req, res, {}, run.problem, form);
    flash(req, 'success', `Billing run for ${periodLabel(period)} started. It proceeds in the background: refresh this page to follow it.`);
    res.redirect(303, `${AREA}/runs/${run.value.id}`);
  }

  @Get('runs/confirm')
  async confirmRun(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @Query() query: FormBody): Promise<void> {
    const parsed = await parseForm(CreateBillingRunDto, { period: text(query, 'period'), dryRun: false }, LABELS);
    const preview = parsed.ok ? await attempt(() => this.billing.dryRun(ctx, parsed.value.period)) : parsed;
    if (!preview.ok) return this.renderOverview(ctx, req, res, {}, preview.problem, { period: text(query, 'period') });
    const p = preview.value;
    const totals = totalsView(p.totals).map((t) => `${t.amount} ${t.route === 'tenant' ? 'through tenants' : 'direct'}`);
    res.render(
      'pages/console/confirm',
      consolePage(req, `Run billing for ${periodLabel(p.period)}`, AREA, {
        heading: `Bill ${periodLabel(p.period)} for real?`,
        message: runConfirmMessage(p, totals),
        action: `${AREA}/runs`,
        fields: [
          { name: 'period', value: p.period },
          { name: 'dryRun', value: 'off' },
          { name: 'confirm', value: 'yes' },
        ],
        confirmLabel: `Run billing for ${periodLabel(p.period)}`,
        cancelHref: AREA,
      }),
    );
  }

  @Get('runs/:id')
  async run(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response, @IdParam() id: string): Promise<void> {
    const run = await this.billing.getRun(ctx, id);
    res.render(
      'pages/console/billing/run',
      consolePage(req, `Billing run ${run.period}`, AREA, {
        tabs: BILLING_TABS('runs'),
        run: runRow(run),
        totals: totalsView(run.totals),
        inProgress: run.status === 'queued' || run.status === 'running',
      }),
    );
  }

  private async renderOverview(
    ctx: RequestContext,
    req: Request,
    res: Response,
    query: FormBody,
    problem?: FormProblem,
    form?: FormBody,
  ): Promise<void> {
    const current = periodOf(this.clock.now());
    const periods = chartPeriods(current);
    const [page, monthly] = await Promise.all([
      this.billing.listRuns(ctx, { limit: CONSOLE_PAGE_SIZE, offset: offsetParam(query) }),
      this.billing.monthlyTotals(ctx, periods[0], periods[periods.length - 1]),
    ]);
    res.status(problem?.status ?? 200);
    res.render(
      'pages/console/billing/overview',
      consolePage(req, 'Billing', AREA, {
        tabs: BILLING_TABS('runs'),
        errors: problem?.errors,
        // A dry run unless the admin chooses otherwise.
        form: { period: form ? text(form, 'period') : current, dryRun: form ? checkbox(form, 'dryRun') : true },
        charts: billingCharts(monthly, periods),
        runs: page.items.map(runRow),
        pager: pager(AREA, {}, page),
      }),
    );
  }
}

/** What a real run will do, from its dry run, in one paragraph. */
function runConfirmMessage(p: BillingPreviewView, totals: string[]): string {
  const name = periodLabel(p.period);
  const { direct, tenant, retry, wouldFail, alreadyBilled } = p.counts;
  const already = alreadyBilled ? ` The ${alreadyBilled} organization(s) already billed for ${name} are not billed again.` : '';
  if (!direct && !tenant && !retry) return `Nothing is waiting to be billed for ${name}: the run would bill nobody.${already}`;
  return (
    `This records ${direct} direct charge(s) and sends ${tenant} bill(s) to tenants' billing APIs` +
    (retry ? `, and sends ${retry} earlier tenant bill(s) again` : '') +
    (totals.length ? ` (${totals.join(', ')})` : '') +
    (wouldFail ? `; ${wouldFail} would fail (see the dry run)` : '') +
    `.${already} A bill a tenant's API has accepted cannot be taken back from Portico.`
  );
}

/** A run as the console lists it: its counts, totals per currency, and a badge for its status. */
function runRow(run: BillingRunView) {
  return {
    ...run,
    periodName: periodLabel(run.period),
    badge: run.status === 'completed' ? 'ok' : run.status === 'failed' ? 'warn' : '',
    totalLines: run.totals.map((t) => `${formatAmount(t.amountCents, t.currency)} ${t.route}`),
  };
}

function totalsView(totals: BillingTotalView[]) {
  return totals.map((t) => ({ ...t, amount: formatAmount(t.amountCents, t.currency) }));
}
