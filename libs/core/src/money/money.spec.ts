import { amountText, formatAmount, minorDigits, parseAmount } from './money';

describe('money', () => {
  it('knows each currency’s minor unit', () => {
    expect([minorDigits('EUR'), minorDigits('JPY'), minorDigits('KWD')]).toEqual([2, 0, 3]);
  });

  it('reads minor units in each currency’s own scale', () => {
    expect(formatAmount(4900, 'EUR')).toBe('€49.00');
    expect(formatAmount(500, 'JPY')).toBe('¥500');
    expect(formatAmount(1234567, 'USD', 'code')).toMatch(/^USD\s12,345\.67$/);
    expect(formatAmount(1000, 'KWD', 'code')).toMatch(/^KWD\s1\.000$/);
  });

  it('falls back to two decimals for a code the runtime does not take', () => {
    expect(formatAmount(4900, 'E1R')).toBe('E1R 49.00');
  });

  it('writes and reads an amount as a form field holds it', () => {
    expect(amountText(4950, 'EUR')).toBe('49.50');
    expect(amountText(1200, 'JPY')).toBe('1200');
    expect(parseAmount('49.5', 'EUR')).toBe(4950);
    expect(parseAmount('1.005', 'KWD')).toBe(1005);
    expect(parseAmount('1200', 'JPY')).toBe(1200);
    expect(parseAmount('49.001', 'EUR')).toBeNull();
    expect(parseAmount('12.5', 'JPY')).toBeNull();
    expect(parseAmount('-1', 'EUR')).toBeNull();
  });
});
