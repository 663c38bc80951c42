import { Histogram, Registry } from 'prom-client';
import { RequestDurations } from './request-durations';

describe('RequestDurations', () => {
  it("writes the same exposition as prom-client's own Histogram for the same requests", async () => {
    const requests: [string, string, number, number][] = [
      ['/api/v1/users/:id', 'GET', 200, 0.003],
      ['/api/v1/users/:id', 'GET', 200, 0.012],
      ['/api/v1/users/:id', 'GET', 404, 0.5],
      ['/api/v1/users', 'POST', 201, 0.025],
      ['unmatched', 'GET', 404, 42],
      ['/entitlements/check', 'HEAD', 200, 0.01],
    ];
    const own = new Registry();
    const durations = new RequestDurations();
    own.registerMetric(durations.asMetric());
    const reference = new Registry();
    const histogram = new Histogram({
      name: durations.name,
      help: durations.help,
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reference],
    });
    for (const [route, method, status, seconds] of requests) {
      durations.observe(route, method, status, seconds);
      histogram.observe({ route, method, status }, seconds);
    }
    const text = await own.metrics();
    expect(text).toBe(await reference.metrics());
    expect(text).toContain(
      'portico_http_request_duration_seconds_bucket{le="0.01",route="/api/v1/users/:id",method="GET",status="200"} 1\n',
    );
    expect(text).toContain('portico_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"} 1\n');
  });
});
