import { isPeriod, periodLabel, periodOf, periodRange, shiftPeriod } from './period';

describe('billing periods', () => {
  it('accepts calendar months written YYYY-MM only', () => {
    for (const ok of ['2026-11', '2027-01', '1999-12', '1970-01']) expect(isPeriod(ok)).toBe(true);
    for (const bad of ['2026-13', '2026-00', '26-11', '2026-1', '2026-11-01', ' 2026-11', '0000-01', '1969-12', '3000-01', 202611, null])
      expect(isPeriod(bad)).toBe(false);
  });

  it('places a moment in its UTC month, with the exact month boundaries', () => {
    expect(periodOf(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    expect(periodOf(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12');
    expect(periodRange('2026-12')).toEqual({ start: new Date('2026-12-01T00:00:00Z'), next: new Date('2027-01-01T00:00:00Z') });
    expect(periodRange('2028-02').next).toEqual(new Date('2028-03-01T00:00:00Z'));
  });

  it('steps across years and names months for people', () => {
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12');
    expect(shiftPeriod('2026-11', 14)).toBe('2028-01');
    expect(periodLabel('2026-11')).toBe('November 2026');
  });
});
