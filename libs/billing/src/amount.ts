// One formatter per currency and display, built on first use (each costs ICU memory).
const formatters = new Map<string, Intl.NumberFormat | null>();

function formatter(currency: string, display: 'symbol' | 'code'): Intl.NumberFormat | null {
  const key = `${currency}/${display}`;
  if (!formatters.has(key)) {
    let made: Intl.NumberFormat | null = null;
    try {
      made = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: display });
    } catch {
      made = null;
    }
    formatters.set(key, made);
  }
  return formatters.get(key)!;
}

/** An amount in minor units as people read it: "€49.00", or "EUR 49.00" with `code`. */
export function formatAmount(amountCents: number, currency: string, display: 'symbol' | 'code' = 'symbol'): string {
  const f = formatter(currency, display);
  if (!f) return `${currency} ${(amountCents / 100).toFixed(2)}`;
  // Digits after the decimal point in the currency's minor unit (EUR 2, JPY 0, KWD 3), from ICU.
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(amountCents / 10 ** digits);
}
