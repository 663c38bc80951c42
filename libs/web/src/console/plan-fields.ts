import { amountText, formatAmount, minorDigits, parseAmount } from '@portico/core';

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
  const priceCents = parseAmount(price, currency);
  if (priceCents === null) {
    const digits = minorDigits(currency);
    return {
      ok: false,
      error: digits
        ? `Monthly price must be an amount such as 49.${'0'.repeat(digits)}.`
        : `Monthly price must be a whole amount in ${currency}.`,
    };
  }
  return { ok: true, plan: { priceCents, currency } };
}

/** "49.00" for 4900 EUR: the amount as the form field takes it back. */
export function planAmount(plan: { priceCents: number; currency: string } | null | undefined): string {
  return plan ? amountText(plan.priceCents, plan.currency) : '';
}

/** "€49.00 / month", or "not billed". */
export function formatPlan(plan: { priceCents: number; currency: string } | null | undefined): string {
  return plan ? `${formatAmount(plan.priceCents, plan.currency)} / month` : 'not billed';
}
