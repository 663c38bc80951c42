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
  cls: string;
  series: string;
}

export interface ChartMonth {
  period: string;
  label: string;
  shortLabel: string;
  labelX: number;
  bars: Bar[];
}

/** One line of a chart's legend; `cls` colours its bars and swatch. */
export interface ChartSeries {
  label: string;
  cls: string;
}

/** A server-drawn bar chart, a group of bars per month. Only numbers and formatted text reach the template. */
export interface BarChart {
  id: string;
  caption: string;
  title: string;
  series: ChartSeries[];
  width: number;
  height: number;
  baseline: number;
  plotLeft: number;
  gridlines: { y: number; label: string }[];
  months: ChartMonth[];
  summary: string;
}

/** One currency's chart: amounts are never added across currencies. */
export interface BillingChart extends BarChart {
  currency: string;
}

/** The last `months` periods up to `last`, oldest first. */
export function chartPeriods(last: string, months = 12): string[] {
  return Array.from({ length: months }, (_, i) => shiftPeriod(last, i - months + 1));
}

/** What to draw: a value per series and period, and how a value reads. */
export interface BarChartSpec {
  id: string;
  caption: string;
  title: string;
  periods: string[];
  series: (ChartSeries & { value: (period: string) => number })[];
  format: (value: number) => string;
  /** Counts: gridlines on whole numbers. */
  whole?: boolean;
}

/** Bars of each series side by side per month, scaled to the largest value, with gridlines at quarters. */
export function barChart(spec: BarChartSpec): Omit<BarChart, 'summary'> {
  const { periods, series } = spec;
  const max = Math.max(1, ...periods.flatMap((p) => series.map((s) => s.value(p))));
  // A little headroom, so the tallest bar does not touch the top line.
  const ceiling = niceCeiling(max * 1.05);
  const top = spec.whole ? Math.max(4, Math.ceil(ceiling / 4) * 4) : ceiling;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const baseline = HEIGHT - BOTTOM;
  const slot = (WIDTH - LEFT) / periods.length;
  const barWidth = Math.max(4, (slot - 10) / series.length - BAR_GAP);
  const months = periods.map((period, i) => {
    const x = LEFT + i * slot + 5;
    const bars = series.map((s, j) => {
      const value = s.value(period);
      const height = Math.round((value / top) * plotHeight * 10) / 10;
      const left = x + j * (barWidth + BAR_GAP);
      return {
        x: round(left),
        y: round(baseline - height),
        width: round(barWidth),
        height,
        text: spec.format(value),
        cls: s.cls,
        series: s.label,
      };
    });
    return {
      period,
      label: periodLabel(period),
      shortLabel: periodShortLabel(period),
      labelX: round(x + (series.length * (barWidth + BAR_GAP) - BAR_GAP) / 2),
      bars,
    };
  });
  const gridlines = [0, 0.25, 0.5, 0.75, 1].map((f) => ({ y: round(baseline - f * plotHeight), label: spec.format(Math.round(top * f)) }));
  return {
    id: spec.id,
    caption: spec.caption,
    title: spec.title,
    series: series.map(({ label, cls }) => ({ label, cls })),
    width: WIDTH,
    height: HEIGHT,
    baseline,
    plotLeft: LEFT,
    gridlines,
    months,
  };
}

/**
 * Bar charts of billed amounts per month, a pair of bars (direct, through a tenant) per month,
 * one chart per currency.
 */
export function billingCharts(totals: MonthlyTotal[], periods: string[]): BillingChart[] {
  const currencies = [...new Set(totals.map((t) => t.currency))].sort();
  return currencies.map((currency) => {
    const amount = (period: string, route: MonthlyTotal['route']) =>
      totals.filter((t) => t.currency === currency && t.period === period && t.route === route).reduce((sum, t) => sum + t.amountCents, 0);
    const chart = barChart({
      id: `chart-${currency.toLowerCase()}`,
      caption: currency,
      title: `Billed per month in ${currency}, by route`,
      periods,
      series: [
        { label: 'Direct charges', cls: 'direct', value: (p) => amount(p, 'direct') },
        { label: 'Billed through tenants', cls: 'tenant', value: (p) => amount(p, 'tenant') },
      ],
      format: (cents) => formatAmount(cents, currency),
    });
    const billed = chart.months.filter((m) => m.bars.some((b) => b.height > 0));
    const summary = billed.length
      ? `Billed in ${currency}, ${periodLabel(periods[0])} to ${periodLabel(periods[periods.length - 1])}: ${billed
          .map((m) => `${m.label}: ${m.bars[0].text} direct, ${m.bars[1].text} through tenants`)
          .join('; ')}.`
      : `Nothing billed in ${currency} in these months.`;
    return { ...chart, currency, summary };
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
