import { formatAmount } from './amount';

describe('formatAmount', () => {
  it('reads minor units in each currency’s own scale', () => {
    expect(formatAmount(4900, 'EUR')).toBe('€49.00');
    expect(formatAmount(500, 'JPY')).toBe('¥500');
    expect(formatAmount(1234567, 'USD', 'code')).toMatch(/^USD\s12,345\.67$/);
    expect(formatAmount(1000, 'KWD', 'code')).toMatch(/^KWD\s1\.000$/);
  });
});
