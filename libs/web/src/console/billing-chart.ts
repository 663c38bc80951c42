import { MonthlyTotal, periodLabel, periodShortLabel, shiftPeriod } from '@portico/billing';
import { formatAmount } from '@portico/core';

// The drawing area of one chart, in SVG units (it scales to the page width).
const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 80;
const BOTTOM = 28;
const TOP = 12;
const BAR_GAP = 2;

interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
}

export interface ChartMonth {
  period: string;
  label: string;
  shortLabel: string;
  labelX: number;
  direct: Bar;
  tenant: Bar;
  directText: string;
  tenantText: string;
}

/** One currency's chart: amounts are never added across currencies. */
export interface BillingChart {
  id: string;
  currency: string;
  width: number;
  height: number;
  baseline: number;
  plotLeft: number;
  gridlines: { y: number; label: string }[];
  months: ChartMonth[];
  summary: string;
}

/** The last `months` periods up to `last`, oldest first. */
export function chartPeriods(last: string, months = 12): string[] {
  return Array.from({ length: months }, (_, i) => shiftPeriod(last, i - months + 1));
}

/**
 * Server-drawn bar charts of billed amounts per month, a pair of bars (direct, through a tenant)
 * per month, one chart per currency. Only numbers and already-formatted text go to the template.
 */
export function billingCharts(totals: MonthlyTotal[], periods: string[]): BillingChart[] {
  const currencies = [...new Set(totals.map((t) => t.currency))].sort();
  return currencies.map((currency) => {
    const amount = (period: string, route: MonthlyTotal['route']) =>
      totals.filter((t) => t.currency === currency && t.period === period && t.route === route).reduce((sum, t) => sum + t.amountCents, 0);
    const max = Math.max(1, ...periods.flatMap((p) => [amount(p, 'direct'), amount(p, 'tenant')]));
    // A little headroom, so the tallest bar does not touch the top line.
    const top = niceCeiling(max * 1.05);
    const plotHeight = HEIGHT - TOP - BOTTOM;
    const baseline = HEIGHT - BOTTOM;
    const slot = (WIDTH - LEFT) / periods.length;
    const barWidth = Math.max(4, (slot - 10) / 2 - BAR_GAP);
    const bar = (value: number, x: number): Bar => {
      const height = Math.round((value / top) * plotHeight * 10) / 10;
      return { x: round(x), y: round(baseline - height), width: round(barWidth), height, text: formatAmount(value, currency) };
    };
    const months = periods.map((period, i) => {
      const x = LEFT + i * slot + 5;
      const direct = bar(amount(period, 'direct'), x);
      const tenant = bar(amount(period, 'tenant'), x + barWidth + BAR_GAP);
      return {
        period,
        label: periodLabel(period),
        shortLabel: periodShortLabel(period),
        labelX: round(x + barWidth + BAR_GAP / 2),
        direct,
        tenant,
        directText: direct.text,
        tenantText: tenant.text,
      };
    });
    const gridlines = [0, 0.25, 0.5, 0.75, 1].map((f) => ({
      y: round(baseline - f * plotHeight),
      label: formatAmount(Math.round(top * f), currency),
    }));
    const billed = months.filter((m) => amount(m.period, 'direct') || amount(m.period, 'tenant'));
    const summary = billed.length
      ? `Billed in ${currency}, ${periodLabel(periods[0])} to ${periodLabel(periods[periods.length - 1])}: ${billed
          .map((m) => `${m.label}: ${m.directText} direct, ${m.tenantText} through tenants`)
          .join('; ')}.`
      : `Nothing billed in ${currency} in these months.`;
    return {
      id: `chart-${currency.toLowerCase()}`,
      currency,
      width: WIDTH,
      height: HEIGHT,
      baseline,
      plotLeft: LEFT,
      gridlines,
      months,
      summary,
    };
  });
}

/** A round number at or above the value, so the gridlines (quarters of it) read as round amounts. */
function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
