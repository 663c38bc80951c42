/** A billing period is a calendar month in UTC, written YYYY-MM. */
export const PERIOD_PATTERN = /^(19[7-9]\d|2\d{3})-(0[1-9]|1[0-2])$/;
export const PERIOD_MESSAGE = 'period must be a month written YYYY-MM, such as 2026-11';

export function isPeriod(value: unknown): value is string {
  return typeof value === 'string' && PERIOD_PATTERN.test(value);
}

/** The month a moment falls in, in UTC. */
export function periodOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** First instant of the month and first instant of the next one (exclusive end). */
export function periodRange(period: string): { start: Date; next: Date } {
  const [year, month] = period.split('-').map(Number);
  return { start: new Date(Date.UTC(year, month - 1, 1)), next: new Date(Date.UTC(year, month, 1)) };
}

/** The month before or after, e.g. shiftPeriod('2026-01', -1) = '2025-12'. */
export function shiftPeriod(period: string, months: number): string {
  const { start } = periodRange(period);
  return periodOf(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, 1)));
}

// Formatters are built once: each one costs ICU memory and a millisecond, and a run names its period per bill.
const LONG = new Intl.DateTimeFormat('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const SHORT = {
  '2-digit': new Intl.DateTimeFormat('en', { month: 'short', year: '2-digit', timeZone: 'UTC' }),
  numeric: new Intl.DateTimeFormat('en', { month: 'short', year: 'numeric', timeZone: 'UTC' }),
};

/** "November 2026". */
export function periodLabel(period: string): string {
  return LONG.format(periodRange(period).start);
}

/** "Nov 26" (chart axes), or "Nov 2026" with the full year. */
export function periodShortLabel(period: string, year: '2-digit' | 'numeric' = '2-digit'): string {
  return SHORT[year].format(periodRange(period).start);
}
