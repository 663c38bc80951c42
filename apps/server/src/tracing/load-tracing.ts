/** What main needs of the tracer: flushing the last spans on the way out. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, nothing of
 * OpenTelemetry is even loaded: no require hooks, no context manager, nothing per request.
 * Called before the app's own modules are loaded, so the instrumentations can patch http,
 * express, pg and ioredis as they are required.
 */
export function loadTracing(defaultServiceName: string): Tracing | null {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./start-tracing') as typeof import('./start-tracing');
  return startTracing(process.env.OTEL_SERVICE_NAME?.trim() || defaultServiceName);
}
