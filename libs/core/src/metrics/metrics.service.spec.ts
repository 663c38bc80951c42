import { AppConfig } from '../config/app-config';
import { TestClock } from '../time/clock';
import { Metrics, SCRAPE_CACHE_MS } from './metrics.service';

function metricsOn(clock = new TestClock()): Metrics {
  return new Metrics(new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', METRICS_PORT: '9464' }), clock);
}

describe('Metrics', () => {
  it('records nothing and exposes no family when metrics are off', async () => {
    const metrics = Metrics.disabled();
    metrics.counter({ name: 'portico_things_total', help: 'things' }).inc();
    metrics.scrapedGauge({ name: 'portico_backlog', help: 'backlog', read: () => Promise.reject(new Error('never read')) });
    expect(metrics.enabled).toBe(false);
    expect((await metrics.render()).body).toBe('\n');
  });

  it('hands out one family per name, counted wherever it is asked for', async () => {
    const metrics = metricsOn();
    metrics.counter<'outcome'>({ name: 'portico_things_total', help: 'things', labelNames: ['outcome'] }).inc({ outcome: 'ok' });
    metrics.counter<'outcome'>({ name: 'portico_things_total', help: 'things', labelNames: ['outcome'] }).inc({ outcome: 'ok' }, 2);
    const { body } = await metrics.render();
    expect(body).toContain('# TYPE portico_things_total counter\nportico_things_total{outcome="ok"} 3\n');
    expect(body).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
  });

  it('reads a scraped gauge once per cache window, and a failed read marks only that family unknown', async () => {
    const clock = new TestClock();
    clock.freeze();
    const metrics = metricsOn(clock);
    let reads = 0;
    let fail = false;
    metrics.scrapedGauge({
      name: 'portico_backlog',
      help: 'backlog',
      read: async () => {
        reads++;
        if (fail) throw new Error('database away');
        return [{ value: reads * 10 }];
      },
    });
    metrics.counter({ name: 'portico_things_total', help: 'things' }).inc();
    const scrapes = await Promise.all([metrics.render(), metrics.render()]);
    expect(reads).toBe(1);
    for (const { body } of scrapes) expect(body).toContain('portico_backlog 10\n');
    clock.advance(SCRAPE_CACHE_MS - 1);
    expect((await metrics.render()).body).toContain('portico_backlog 10\n');
    clock.advance(1);
    fail = true;
    const failed = (await metrics.render()).body;
    expect(reads).toBe(2);
    // prom-client writes NaN as Nan, which Prometheus reads as NaN.
    expect(failed).toContain('portico_backlog Nan\n');
    expect(failed).toContain('portico_things_total 1\n');
    // A failed read is not kept: the next scrape reads again.
    fail = false;
    expect((await metrics.render()).body).toContain('portico_backlog 30\n');
  });
});
