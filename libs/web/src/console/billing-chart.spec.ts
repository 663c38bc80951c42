import { billingCharts, chartPeriods } from './billing-chart';

describe('billing charts', () => {
  it('lists the last twelve months, oldest first, across a year end', () => {
    const periods = chartPeriods('2026-02');
    expect(periods).toHaveLength(12);
    expect([periods[0], periods[10], periods[11]]).toEqual(['2025-03', '2026-01', '2026-02']);
  });

  it('draws one chart per currency, bars in proportion, with a text summary of every billed month', () => {
    const periods = ['2026-10', '2026-11'];
    const charts = billingCharts(
      [
        { period: '2026-11', route: 'direct', currency: 'EUR', count: 2, amountCents: 10_000 },
        { period: '2026-11', route: 'tenant', currency: 'EUR', count: 1, amountCents: 5_000 },
        { period: '2026-10', route: 'direct', currency: 'USD', count: 1, amountCents: 700 },
      ],
      periods,
    );
    expect(charts.map((c) => c.currency)).toEqual(['EUR', 'USD']);
    const eur = charts[0];
    const nov = eur.months[1];
    const [direct, tenant] = nov.bars;
    expect(direct.height).toBeCloseTo(tenant.height * 2, 0);
    expect(direct.y + direct.height).toBe(eur.baseline);
    expect(eur.months[0].bars[0].height).toBe(0);
    expect(eur.gridlines.map((g) => g.label)).toEqual(['€0.00', '€30.00', '€60.00', '€90.00', '€120.00']);
    expect(eur.summary).toBe('Billed in EUR, October 2026 to November 2026: November 2026: €100.00 direct, €50.00 through tenants.');
    expect(charts[1].summary).toContain('October 2026: $7.00 direct, $0.00 through tenants');
  });
});
