/** Where Prometheus reads metrics and where traces go (METRICS_*, OTEL_*). */
export interface ObservabilityConfig {
  /** Bearer token that opens `GET /metrics` on the app's own port; null: no /metrics there. */
  metricsToken: string | null;
  /** A separate listener serving only /metrics, without a token (for a private network); null: none. */
  metricsPort: number | null;
  /** OTLP/HTTP endpoint traces are exported to; null: tracing is off (and not loaded). */
  otlpEndpoint: string | null;
}

type Env = Record<string, string | undefined>;

export function observabilityConfig(env: Env, problems: string[]): ObservabilityConfig {
  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 24) problems.push('METRICS_TOKEN must be at least 24 characters');
  let metricsPort: number | null = null;
  const rawPort = env.METRICS_PORT?.trim();
  if (rawPort) {
    const port = Number(rawPort);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) metricsPort = port;
    else problems.push(`METRICS_PORT must be an integer between 1 and 65535 (got "${rawPort}")`);
  }
  if (metricsPort !== null && metricsPort === Number(env.PORT ?? 3000)) {
    problems.push('METRICS_PORT must differ from PORT (it is a listener of its own, without a token)');
  }
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || null;
  if (otlpEndpoint && !/^https?:\/\/[^\s/]+/.test(otlpEndpoint)) {
    problems.push('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://otel-collector:4318');
  }
  return { metricsToken, metricsPort, otlpEndpoint };
}

/** Whether this process records and serves metrics at all. */
export function metricsEnabled(config: ObservabilityConfig): boolean {
  return config.metricsToken !== null || config.metricsPort !== null;
}
