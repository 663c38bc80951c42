import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { CryptoService } from '../crypto/crypto.service';
import type { RouteKinds } from '../http/route-kinds';
import { Metrics } from './metrics.service';
import { RequestDurations } from './request-durations';

export const METRICS_PATH = '/metrics';

const PLAIN_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/**
 * `GET /metrics` on the app's own port, for a caller with `Authorization: Bearer <METRICS_TOKEN>`;
 * anyone else gets 401. It answers alone (declared `own`): no session, no access log line per scrape.
 */
export function metricsRoute(metrics: Metrics, token: string, crypto: CryptoService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const mark = req.url.indexOf('?');
    if ((mark < 0 ? req.url : req.url.slice(0, mark)) !== METRICS_PATH) return next();
    const given = bearer(req.headers.authorization);
    if (given === null || !crypto.safeEqual(given, token)) {
      const body = JSON.stringify({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Send the metrics token (METRICS_TOKEN) as Authorization: Bearer <token>',
      });
      res
        .writeHead(401, {
          ...PLAIN_HEADERS,
          'content-type': 'application/json; charset=utf-8',
          'www-authenticate': 'Bearer realm="metrics"',
        })
        .end(body);
      return;
    }
    void serve(metrics, req, res);
  };
}

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1] : null;
}

async function serve(metrics: Metrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { ...PLAIN_HEADERS, 'content-type': contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    new Logger('Metrics').error(`Could not render the metrics: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent) res.writeHead(500, PLAIN_HEADERS);
    res.end();
  }
}

/**
 * METRICS_PORT: a listener of its own serving only `GET /metrics`, without a token, so Prometheus
 * on a private network scrapes it while the public port keeps /metrics closed. The worker, which
 * has no HTTP port, is scraped this way.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.observability.metricsPort;
    if (port === null) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== METRICS_PATH) return void res.writeHead(404, PLAIN_HEADERS).end();
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { ...PLAIN_HEADERS, allow: 'GET, HEAD' }).end();
      void serve(this.metrics, req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve());
    });
    this.server = server;
    this.logger.log(`Metrics served on port ${port} (${METRICS_PATH})`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The HTTP side of metrics, in front of everything else the app does with a request: `GET /metrics`
 * (with METRICS_TOKEN) and the request histogram. One Express layer for both: each layer the router
 * walks costs every request, the entitlement check's too.
 */
export class HttpMetrics {
  private readonly durations = new RequestDurations();

  constructor(
    private readonly metrics: Metrics,
    private readonly routes: RouteKinds,
    private readonly config: AppConfig,
    private readonly crypto: CryptoService,
  ) {}

  /**
   * `next` with metrics around it; `next` itself when metrics are off. The route label is the
   * template Express matched (`/api/v1/users/:id`), never the URL: a request no route took is
   * `unmatched`, a static file `static`. Scrapes are not counted.
   */
  around(next: RequestHandler): RequestHandler {
    if (!this.metrics.enabled) return next;
    // Registered by the app that serves HTTP: a worker has no such family.
    if (!this.metrics.registry.getSingleMetric(this.durations.name)) this.metrics.registry.registerMetric(this.durations.asMetric());
    const token = this.config.observability.metricsToken;
    const scrape = token ? metricsRoute(this.metrics, token, this.crypto) : null;
    const durations = this.durations;
    const routes = this.routes;
    function finished(this: TimedResponse): void {
      const req = this.req as Request;
      const route = (req.route as { path?: string } | undefined)?.path ?? (routes.of(req).kind === 'static' ? 'static' : 'unmatched');
      durations.observe(route, req.method, this.statusCode, (performance.now() - this[STARTED]) / 1000);
    }
    return (req, res, nextLayer) => {
      if (scrape && req.url.startsWith(METRICS_PATH) && (req.method === 'GET' || req.method === 'HEAD'))
        return scrape(req, res, () => next(req, res, nextLayer));
      (res as unknown as TimedResponse)[STARTED] = performance.now();
      res.on('finish', finished);
      next(req, res, nextLayer);
    };
  }
}

const STARTED = Symbol('portico.metrics.started');
type TimedResponse = ServerResponse & { [STARTED]: number };
