import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Tracing } from './load-tracing';

// Probes and scrapes would be most of the traces and tell nothing.
const UNTRACED = new Set(['/health', '/health/ready', '/metrics']);

/**
 * The OpenTelemetry tracer: spans of HTTP requests (in, and out through node:http and undici, the
 * outbound client's), Express routes, PostgreSQL statements and Redis commands, batched and exported over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT
 * (the exporter also reads OTEL_EXPORTER_OTLP_HEADERS and the other standard OTEL_* variables).
 */
export function startTracing(serviceName: string): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: exportDelayMs() })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED.has((req.url ?? '').split('?')[0]) }),
      new ExpressInstrumentation(),
      new UndiciInstrumentation(),
      // Only statements and commands of a traced operation: the job workers' and the outbox's
      // polling would otherwise be most of the spans. Statement text without values: a parameter
      // may be a secret's hash or an email address.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}

/** OTEL_BSP_SCHEDULE_DELAY, the standard variable this version of the span processor no longer reads itself. */
function exportDelayMs(): number | undefined {
  const ms = Number(process.env.OTEL_BSP_SCHEDULE_DELAY);
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}
