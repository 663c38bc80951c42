import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino, { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

// A mailed link may carry its token in the path (/invitations/{token}): a long random segment is
// logged as [token]; ids (uuids) and ordinary words stay readable.
const TOKEN_SEGMENT = /\/([A-Za-z0-9_-]{32,})(?=\/|$)/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The path as the access log shows it: no query string, no token. */
export function loggedPath(url: string): string {
  return url.split('?')[0].replace(TOKEN_SEGMENT, (whole, segment: string) => (UUID.test(segment) ? whole : '/[token]'));
}
const roots = new WeakMap<AppConfig, Logger>();
const accessLoggers = new WeakMap<AppConfig, Logger>();

/** The app's one pino logger (per configuration), never writing a secret. */
export function rootLogger(config: AppConfig): Logger {
  let root = roots.get(config);
  if (!root) {
    root = pino({
      level: config.logLevel,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.token'],
        censor: '[redacted]',
      },
    });
    roots.set(config, root);
  }
  return root;
}

/**
 * The access log's own logger, on the same output. Its lines are built here from the method, the
 * path without its query, the status, the time and the request id, never from headers or bodies,
 * so there is nothing to redact; the root logger's redaction (wildcard paths) would cost more than
 * the rest of the line.
 */
export function accessLogger(config: AppConfig): Logger {
  let logger = accessLoggers.get(config);
  if (!logger) accessLoggers.set(config, (logger = pino({ level: config.logLevel })));
  return logger;
}

/**
 * Nest's logger (nestjs-pino) on the root pino logger, with no per-request binding (`forRoutes: []`).
 * Binding a child logger to each request's async context needs AsyncLocalStorage, and on Node 20
 * that runs a hook on every promise the process creates: about a tenth of an API request's CPU.
 * Request ids reach the logs explicitly instead: every access log line carries one, and so does
 * the log of an unexpected error (HttpExceptionFilter).
 */
export function loggerOptions(config: AppConfig): Params {
  return { pinoHttp: { logger: rootLogger(config) }, useExisting: true, forRoutes: [] };
}

// `id` as pino-http's typings declare it on Express's Request (we only ever set a string).
type LoggedRequest = IncomingMessage & { id?: unknown; originalUrl?: string };

/**
 * Request ids and access logs. The id comes from x-request-id when sane (else a new uuid) and is
 * echoed back; with tracing on, the id is the request's trace id, so a log line leads to its trace.
 * The access log line is written when the response finishes, at info (error for 5xx,
 * warn for 4xx), and only built when that level is enabled: with LOG_LEVEL=warn a 200 costs nothing
 * beyond the id. Only the path is logged, never the query string or headers.
 */
export function requestLogger(config: AppConfig): (req: LoggedRequest, res: ServerResponse, next: () => void) => void {
  const log = accessLogger(config);
  const traceId = config.observability.otlpEndpoint ? activeTraceId() : null;
  // One listener for every response (`this` is the response), not a closure and a once-wrapper per request.
  function completed(this: TimedResponse): void {
    const req = this.req as LoggedRequest;
    const status = this.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!log.isLevelEnabled(level) || (level === 'info' && req.url === '/health')) return;
    const url = req.originalUrl ?? req.url ?? '';
    log[level](
      {
        reqId: req.id,
        req: { method: req.method, url: loggedPath(url) },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - this[STARTED]),
      },
      'request completed',
    );
  }
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = traceId?.() ?? (typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID());
    req.id = id;
    res.setHeader('x-request-id', id);
    (res as TimedResponse)[STARTED] = performance.now();
    res.on('finish', completed);
    next();
  };
}

/**
 * The trace id of the span the request runs in. The API package is loaded only when tracing is on
 * (the tracer, started before the app, registered itself there).
 */
function activeTraceId(): () => string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isSpanContextValid, trace } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  return () => {
    const span = trace.getActiveSpan()?.spanContext();
    return span && isSpanContextValid(span) ? span.traceId : undefined;
  };
}

const STARTED = Symbol('portico.started');
type TimedResponse = ServerResponse & { [STARTED]: number };
