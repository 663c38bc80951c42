// One formatter per currency and display, built on first use (each costs ICU memory); currency
// codes are three letters, so the map stays small.
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

/** Digits after the decimal point in a currency's minor unit (EUR 2, JPY 0, KWD 3), from the runtime's ICU data. */
export function minorDigits(currency: string): number {
  return formatter(currency, 'code')?.resolvedOptions().maximumFractionDigits ?? 2;
}

/** An amount in minor units as people read it: "€49.00", or "EUR 49.00" with `code`. */
export function formatAmount(amountCents: number, currency: string, display: 'symbol' | 'code' = 'symbol'): string {
  const f = formatter(currency, display);
  if (!f) return `${currency} ${(amountCents / 100).toFixed(2)}`;
  return f.format(amountCents / 10 ** minorDigits(currency));
}

/** "49.00" for 4900 EUR, "1200" for 1200 JPY: the amount as a form field shows it. */
export function amountText(amountCents: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits ? (amountCents / 10 ** digits).toFixed(digits) : String(amountCents);
}

/**
 * Minor units from an amount as people write it ("49.5" EUR is 4950), or null when it is not a
 * plain positive amount in the currency's scale (a sign, too many digits, a third decimal in EUR).
 */
export function parseAmount(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const pattern = digits ? new RegExp(`^\\d{1,9}(\\.\\d{1,${digits}})?$`) : /^\d{1,12}$/;
  if (!pattern.test(text)) return null;
  const [whole, fraction = ''] = text.split('.');
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}
