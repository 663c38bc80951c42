/** The one way a page shows a moment: UTC, to the minute, `2026-12-07 00:10 UTC`. '' for nothing or an invalid date. */
export function formatUtc(value: Date | string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
