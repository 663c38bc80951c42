import { metricsEnabled, observabilityConfig } from './observability-config';

describe('observabilityConfig', () => {
  const read = (env: Record<string, string>) => {
    const problems: string[] = [];
    return { config: observabilityConfig(env, problems), problems };
  };

  it('turns metrics and tracing off by default', () => {
    const { config, problems } = read({});
    expect(config).toEqual({ metricsToken: null, metricsPort: null, otlpEndpoint: null });
    expect(metricsEnabled(config)).toBe(false);
    expect(problems).toEqual([]);
  });

  it('takes a token, a port of its own and an OTLP endpoint', () => {
    const { config, problems } = read({
      METRICS_TOKEN: 'm'.repeat(24),
      METRICS_PORT: '9464',
      OTEL_EXPORTER_OTLP_ENDPOINT: ' http://collector:4318 ',
    });
    expect(config).toEqual({ metricsToken: 'm'.repeat(24), metricsPort: 9464, otlpEndpoint: 'http://collector:4318' });
    expect(metricsEnabled(config)).toBe(true);
    expect(problems).toEqual([]);
    expect(metricsEnabled(read({ METRICS_PORT: '9464' }).config)).toBe(true);
  });

  it('says what is wrong with each value', () => {
    expect(read({ METRICS_TOKEN: 'short' }).problems).toEqual(['METRICS_TOKEN must be at least 24 characters']);
    expect(read({ METRICS_PORT: 'ninety' }).problems).toEqual(['METRICS_PORT must be an integer between 1 and 65535 (got "ninety")']);
    expect(read({ METRICS_PORT: '3000' }).problems).toEqual([
      'METRICS_PORT must differ from PORT (it is a listener of its own, without a token)',
    ]);
    expect(read({ METRICS_PORT: '8080', PORT: '8080' }).problems).toHaveLength(1);
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).problems).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://otel-collector:4318',
    ]);
  });
});
