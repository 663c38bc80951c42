import type { Metric } from 'prom-client';

interface Series {
  /** Observations per bucket (not cumulative: summed up when scraped). */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * `portico_http_request_duration_seconds`: every request the app answers, by route template,
 * method and status. It is on every request's path, so the series are kept here by hand (three
 * map lookups and a bucket increment, no label object, no string built) instead of through
 * prom-client's Histogram, which validates and hashes a label object per observation. prom-client
 * still writes the exposition: this is registered on its registry as a histogram family.
 */
export class RequestDurations {
  readonly name = 'portico_http_request_duration_seconds';
  readonly help = 'HTTP requests by route template, method and status, with their latency (the _count is the number of requests)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Map<string, Map<number, Series>>>();

  constructor(private readonly bounds: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]) {}

  observe(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.series.get(route);
    if (!byMethod) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) byStatus.set(status, (series = { buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 }));
    series.sum += seconds;
    series.count += 1;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]) {
        series.buckets[i] += 1;
        break;
      }
    }
  }

  /** What prom-client's registry asks a metric for when it writes the exposition. */
  get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const [route, byMethod] of this.series) {
      for (const [method, byStatus] of byMethod) {
        for (const [status, series] of byStatus) {
          const labels = { route, method, status };
          let cumulative = 0;
          for (let i = 0; i < this.bounds.length; i++) {
            cumulative += series.buckets[i];
            values.push({ metricName: `${this.name}_bucket`, labels: { le: this.bounds[i], ...labels }, value: cumulative });
          }
          values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: series.count });
          values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
          values.push({ metricName: `${this.name}_count`, labels, value: series.count });
        }
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As the registry's list of metrics holds it. */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
