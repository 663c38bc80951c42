/** Digits after the decimal point in a currency's minor unit (EUR 2, JPY 0, KWD 3), from the runtime's ICU data. */
function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export type PlanInput = { ok: true; plan: { priceCents: number; currency: string } | null } | { ok: false; error: string };

/**
 * A plan from the two form fields, price as people write it ("49.00") and a currency code. Both
 * empty means "not billed"; the DTO then checks the code and the range.
 */
export function planFromForm(price: string, currencyField: string): PlanInput {
  const currency = currencyField.toUpperCase();
  if (!price && !currency) return { ok: true, plan: null };
  if (!price || !currency)
    return { ok: false, error: 'Enter both a monthly price and a currency, or leave both empty for an organization that is not billed.' };
  if (!/^[A-Z]{3}$/.test(currency)) return { ok: false, error: 'Currency must be a three-letter ISO 4217 code such as EUR.' };
  const digits = minorDigits(currency);
  const pattern = digits ? new RegExp(`^\\d{1,9}(\\.\\d{1,${digits}})?$`) : /^\d{1,12}$/;
  if (!pattern.test(price)) {
    return {
      ok: false,
      error: digits
        ? `Monthly price must be an amount such as 49.${'0'.repeat(digits)}.`
        : `Monthly price must be a whole amount in ${currency}.`,
    };
  }
  const [whole, fraction = ''] = price.split('.');
  const priceCents = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  return { ok: true, plan: { priceCents, currency } };
}

/** "49.00" for 4900 EUR: the amount as the form field takes it back. */
export function planAmount(plan: { priceCents: number; currency: string } | null | undefined): string {
  if (!plan) return '';
  const digits = minorDigits(plan.currency);
  return digits ? (plan.priceCents / 10 ** digits).toFixed(digits) : String(plan.priceCents);
}

/** "€49.00 / month", or "not billed". */
export function formatPlan(plan: { priceCents: number; currency: string } | null | undefined): string {
  if (!plan) return 'not billed';
  const digits = minorDigits(plan.currency);
  const amount = new Intl.NumberFormat('en', { style: 'currency', currency: plan.currency }).format(plan.priceCents / 10 ** digits);
  return `${amount} / month`;
}
