/** Digits after the decimal point in a currency's minor unit (EUR 2, JPY 0, KWD 3), from the runtime's ICU data. */
function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** An amount in minor units as people read it: "€49.00", or "EUR 49.00" with `code`. */
export function formatAmount(amountCents: number, currency: string, display: 'symbol' | 'code' = 'symbol'): string {
  const digits = minorDigits(currency);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: display }).format(amountCents / 10 ** digits);
  } catch {
    return `${currency} ${(amountCents / 100).toFixed(2)}`;
  }
}
