import { formatPlan, planAmount, planFromForm } from './plan-fields';

describe('plan form fields', () => {
  it('reads an amount in the currency’s minor unit', () => {
    expect(planFromForm('49.5', 'eur')).toEqual({ ok: true, plan: { priceCents: 4950, currency: 'EUR' } });
    expect(planFromForm('49', 'USD')).toEqual({ ok: true, plan: { priceCents: 4900, currency: 'USD' } });
    expect(planFromForm('1200', 'JPY')).toEqual({ ok: true, plan: { priceCents: 1200, currency: 'JPY' } });
    expect(planFromForm('1.005', 'KWD')).toEqual({ ok: true, plan: { priceCents: 1005, currency: 'KWD' } });
  });

  it('treats two empty fields as "not billed" and refuses half a plan or a bad amount', () => {
    expect(planFromForm('', '')).toEqual({ ok: true, plan: null });
    expect(planFromForm('49.00', '')).toMatchObject({ ok: false, error: expect.stringContaining('both') });
    expect(planFromForm('', 'EUR')).toMatchObject({ ok: false, error: expect.stringContaining('both') });
    expect(planFromForm('49.001', 'EUR')).toMatchObject({ ok: false, error: 'Monthly price must be an amount such as 49.00.' });
    expect(planFromForm('-1', 'EUR')).toMatchObject({ ok: false });
    expect(planFromForm('12.5', 'JPY')).toMatchObject({ ok: false, error: 'Monthly price must be a whole amount in JPY.' });
    expect(planFromForm('10', 'EURO')).toMatchObject({ ok: false, error: expect.stringContaining('three-letter') });
  });

  it('shows a plan back as the form and the list write it', () => {
    expect(planAmount({ priceCents: 4950, currency: 'EUR' })).toBe('49.50');
    expect(planAmount({ priceCents: 1200, currency: 'JPY' })).toBe('1200');
    expect(planAmount(null)).toBe('');
    expect(formatPlan({ priceCents: 4950, currency: 'EUR' })).toBe('€49.50 / month');
    expect(formatPlan(null)).toBe('not billed');
  });
});
