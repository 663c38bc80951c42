import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  BillingModule,
  BillingRunView,
  BillingService,
  BillingTotalView,
  isPeriod,
  PERIOD_MESSAGE,
  periodLabel,
  PreviewItem,
  RunProgress,
} from '@portico/billing';
import { AppConfig, CoreModule, formatAmount, RequestContext } from '@portico/core';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { SingleBar } from 'cli-progress';
import { ALL_MIGRATIONS } from '../../../../migrations';
import { ALL_ENTITIES } from '../entities';
import { ensureSchema, runCli, StderrLogger, UsageError } from './cli-support';

const USAGE = `Usage: npm run billing -- --period YYYY-MM [--dry-run [--limit N]]

Bills every organization with a plan for the month (UTC), once: through its tenant's billing API
when the tenant has one, as a direct charge otherwise. Running it again bills nothing twice; a run
that was interrupted (killed, or its machine lost) is resumed where it stopped.

  --period YYYY-MM   the month to bill, e.g. 2026-11
  --dry-run          list what would be billed; write nothing, call nothing
  --limit N          with --dry-run: organizations listed (default 100; the totals count them all)
`;

interface Args {
  period: string;
  dryRun: boolean;
  limit: number;
}

/** `npm run billing -- --period 2026-11 [--dry-run]`: a billing run from the command line, with a progress bar. */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    process.stdout.write(USAGE);
    return 0;
  }
  // The command line bills; it does not schedule, resume other runs, or take jobs from Redis.
  const config = new AppConfig({ LOG_LEVEL: 'warn', ...process.env, BILLING_SCHEDULE: 'false', BILLING_SWEEP_MS: '0', REDIS_URL: '' });
  const app = await NestFactory.createApplicationContext(BillingCliModule.register(config), { logger: new StderrLogger() });
  const stop = () => void app.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await ensureSchema(app, config);
    const billing = app.get(BillingService);
    const ctx = RequestContext.system(`cli:${process.env.USER ?? 'billing'}`);
    if (args.dryRun) await dryRun(billing, ctx, args);
    else return await run(billing, ctx, args.period);
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await app.close();
  }
}

async function run(billing: BillingService, ctx: RequestContext, period: string): Promise<number> {
  const total = await billing.countOrganizationsWithPlan(ctx);
  const bar = new SingleBar({
    stream: process.stderr,
    format: ' {bar} {percentage}% | {value}/{total} organizations | {charged} billed, {failed} failed, {unknown} unknown | {phase}',
    barsize: 30,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 2000,
  });
  let shown = false;
  const started = Date.now();
  let waitingSaid = false;
  const view = await billing.runHere(ctx, period, {
    waiting: (other) => {
      if (waitingSaid) return;
      waitingSaid = true;
      process.stderr.write(
        `Billing run ${other.id} for ${period} is being executed by another process; waiting until it finishes or stops answering…\n`,
      );
    },
    started: (r, resumed) => {
      process.stderr.write(
        resumed ? `Resuming billing run ${r.id} for ${period} where it stopped.\n` : `Billing run ${r.id} for ${period}.\n`,
      );
      bar.start(total, 0, { charged: 0, failed: 0, unknown: 0, phase: 'organizations' });
      shown = true;
    },
    progress: (p: RunProgress) =>
      bar.update(Math.min(p.organizations, total), { charged: p.charged, failed: p.failed, unknown: p.unknown, phase: phaseText(p.phase) }),
  });
  if (shown) bar.stop();
  printRun(view, (Date.now() - started) / 1000);
  if (view.counts.failed) await printFailures(billing, ctx, view);
  if (view.counts.unknown) await printUnknown(billing, ctx, view);
  process.stdout.write(`\n  Peak memory (RSS): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`);
  return view.status === 'completed' ? 0 : 1;
}

async function dryRun(billing: BillingService, ctx: RequestContext, args: Args): Promise<void> {
  const listed: PreviewItem[] = [];
  const counts = await billing.walkPreview(ctx, args.period, (item) => {
    if (listed.length < args.limit) listed.push(item);
  });
  const billable = counts.direct + counts.tenant + counts.retry + counts.wouldFail;
  process.stdout.write(`Dry run for ${periodLabel(args.period)} (${args.period}): nothing was written or sent.\n\n`);
  if (listed.length) {
    table(
      ['Organization', 'Tenant', 'Route', 'Amount', 'Action', 'Problem'],
      listed.map((i) => [
        i.organizationName,
        i.tenantKey ?? '—',
        i.route,
        formatAmount(i.amountCents, i.currency, 'code'),
        i.action,
        i.problem ?? '',
      ]),
      [false, false, false, true, false, false],
    );
    if (billable > listed.length) process.stdout.write(`  (the first ${listed.length} of ${billable}; --limit N lists more)\n`);
    process.stdout.write('\n');
  }
  table(
    ['', 'Organizations'],
    [
      ['With a plan', n(counts.organizations)],
      ['Already billed', n(counts.alreadyBilled)],
      ['Would be charged directly', n(counts.direct)],
      ['Would be billed through the tenant', n(counts.tenant)],
      ['Tenant bills sent again', n(counts.retry)],
      ['Would fail', n(counts.wouldFail)],
    ],
    [false, true],
  );
  printTotals(counts.totals, 'Would be billed');
}

function printRun(run: BillingRunView, seconds: number): void {
  process.stdout.write(
    `\nBilling run ${run.id} for ${periodLabel(run.period)} (${run.period}): ${run.status} in ${seconds.toFixed(1)} s\n\n`,
  );
  if (run.lastError) process.stdout.write(`  Error: ${run.lastError}\n\n`);
  table(
    ['', 'Organizations'],
    [
      ['With a plan', n(run.counts.organizations)],
      ['Already billed before this run', n(run.counts.alreadyBilled)],
      ['Charged directly (open)', n(run.counts.direct)],
      ['Billed through the tenant (submitted)', n(run.counts.submitted)],
      ['Failed', n(run.counts.failed)],
      ['Unknown (the tenant may hold the bill)', n(run.counts.unknown)],
      ['Pending', n(run.counts.pending)],
    ],
    [false, true],
  );
  printTotals(run.totals, 'Billed');
}

function printTotals(totals: BillingTotalView[], title: string): void {
  if (!totals.length) return;
  process.stdout.write('\n');
  table(
    [title, 'Route', 'Charges', 'Amount'],
    totals.map((t) => [t.currency, t.route, n(t.count), formatAmount(t.amountCents, t.currency, 'code')]),
    [false, false, true, true],
  );
}

async function printFailures(billing: BillingService, ctx: RequestContext, run: BillingRunView): Promise<void> {
  const failed = await billing.listCharges(ctx, { runId: run.id, status: 'failed', limit: 20 });
  process.stdout.write('\n');
  table(
    ['Failed charge', 'Organization', 'Reason'],
    failed.items.map((c) => [c.id, c.organizationName, c.lastError ?? '']),
    [false, false, false],
  );
  if (failed.total > failed.items.length)
    process.stdout.write(`  (${failed.total - failed.items.length} more: GET /api/v1/billing/charges?status=failed)\n`);
  process.stdout.write('  Fix the cause, then run the period again: failed tenant bills are sent again with the same Idempotency-Key.\n');
}

async function printUnknown(billing: BillingService, ctx: RequestContext, run: BillingRunView): Promise<void> {
  const unknown = await billing.listCharges(ctx, { runId: run.id, status: 'unknown', limit: 20 });
  process.stdout.write('\n');
  table(
    ['Unknown charge (Idempotency-Key)', 'Organization', 'Last answer'],
    unknown.items.map((c) => [c.id, c.organizationName, c.lastError ?? '']),
    [false, false, false],
  );
  if (unknown.total > unknown.items.length)
    process.stdout.write(`  (${unknown.total - unknown.items.length} more: GET /api/v1/billing/charges?status=unknown)\n`);
  process.stdout.write(
    "  A call may have made these bills without a confirmed answer. Look them up in the tenant's billing system by\n" +
      '  Idempotency-Key, or run the period again: the same key is sent, so a bill that exists is returned, not made again.\n',
  );
}

/** Columns padded to their widest cell; `right` aligns numbers. */
function table(head: string[], rows: string[][], right: boolean[]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}`.trimEnd();
  process.stdout.write(`${line(head)}\n${line(widths.map((w) => '─'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
}

function n(value: number): string {
  return value.toLocaleString('en');
}

function phaseText(phase: RunProgress['phase']): string {
  return phase === 'organizations' ? 'billing organizations' : phase === 'pending' ? 'finishing tenant bills' : 'waiting for another run';
}

function parseArgs(argv: string[]): Args | null {
  const args: Args = { period: '', dryRun: false, limit: 100 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') return null;
    else if (flag === '--period') args.period = value();
    else if (flag === '--dry-run') args.dryRun = true;
    else if (flag === '--limit') {
      const raw = value();
      if (!/^\d{1,7}$/.test(raw)) throw new UsageError('--limit must be a whole number');
      args.limit = Number(raw);
    } else throw new UsageError(`Unknown option ${argv[i]}`);
  }
  if (!args.period) throw new UsageError('--period is required');
  if (!isPeriod(args.period)) throw new UsageError(`--period: ${PERIOD_MESSAGE}`);
  return args;
}

@Module({})
class BillingCliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: BillingCliModule,
      imports: [
        CoreModule.forRoot(config, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }),
        TenantsModule,
        OrganizationsModule,
        BillingModule,
      ],
    };
  }
}

runCli(main, USAGE, 'Billing failed');
