import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { databaseKinds, freshDatabase, type TestDatabase } from '../support/databases';
import { freePort } from '../support/ports';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';
import { eventually } from '../support/webhook-receiver';
import { buildApp, ServerProcess, WorkerProcess } from '../support/worker-process';

const SECRET = 'tracing-suite-secret-key-0123456789abcdef';
const TOKEN = 'tracing-suite-admin-token-0123456789';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

interface ReceivedSpan extends OtlpSpan {
  service: string;
  scope: string;
}

/** A local OTLP/HTTP receiver: takes `POST /v1/traces` (JSON) and keeps every span it gets. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly paths: string[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        if (req.method === 'POST' && req.url === '/v1/traces') this.take(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private take(body: {
    resourceSpans: {
      resource: { attributes: OtlpSpan['attributes'] };
      scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
    }[];
  }): void {
    for (const rs of body.resourceSpans) {
      const service = String(attribute(rs.resource.attributes, 'service.name'));
      for (const ss of rs.scopeSpans) for (const span of ss.spans) this.spans.push({ ...span, service, scope: ss.scope.name });
    }
  }
}

function attribute(attributes: OtlpSpan['attributes'], key: string): unknown {
  const value = attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
}

let build: { dir: string; remove(): void };
beforeAll(async () => {
  build = await buildApp();
}, 180_000);
afterAll(() => build?.remove());

/**
 * Real server and worker processes (as `npm run build` compiles them): traces exported to a local
 * OTLP receiver, and the worker's own metrics on METRICS_PORT. With Redis (required under CI=true)
 * a worker runs beside the server and takes the jobs; without it the parts that need one say so.
 */
describe.each(databaseKinds())('server and worker processes: tracing and metrics (%s)', (kind) => {
  const redisUrl = redisForTests('the worker process and Redis spans');
  const jobsPrefix = uniqueJobsPrefix();
  let db: TestDatabase;
  let receiver: OtlpReceiver;
  let server: ServerProcess;
  let worker: WorkerProcess | null = null;
  let workerMetricsPort: number;

  beforeAll(async () => {
    db = await freshDatabase(kind);
    receiver = await new OtlpReceiver().start();
    const common = {
      DATABASE_URL: db.url,
      PORTICO_SECRET_KEY: SECRET,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Export every tenth of a second instead of every five, so the test does not wait.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...(redisUrl ? { REDIS_URL: redisUrl, JOBS_PREFIX: jobsPrefix } : {}),
    };
    server = await ServerProcess.create(build.dir, {
      ...common,
      MIGRATE_ON_START: 'true',
      ADMIN_API_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      OTEL_SERVICE_NAME: 'portico-under-test',
      // The worker takes the jobs (webhook deliveries), when there is one.
      ...(redisUrl ? { JOBS_IN_SERVER: 'false' } : {}),
    });
    await server.start(60_000);
    if (redisUrl) {
      workerMetricsPort = await freePort();
      worker = await new WorkerProcess(build.dir, { ...common, METRICS_PORT: String(workerMetricsPort) }).start(60_000);
    }
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
    await receiver?.close();
    await db?.drop();
    if (redisUrl) await dropJobsPrefix(redisUrl, jobsPrefix);
  });

  it('exports a span for a request by its route, with the trace id as the request id in the answer and the logs', async () => {
    const res = await fetch(`${server.url}/api/v1/tenants?limit=5`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);

    const spans = await eventually(() => {
      const found = receiver.spans.filter((s) => s.traceId === requestId);
      return found.some((s) => s.kind === 2) && found;
    });
    const incoming = spans.find((s) => s.kind === 2)!;
    expect(incoming).toMatchObject({ service: 'portico-under-test', scope: '@opentelemetry/instrumentation-http' });
    expect(attribute(incoming.attributes, 'http.route')).toBe('/api/v1/tenants');
    expect(receiver.paths[0]).toBe('POST /v1/traces application/json');
    // The access log line carries the same id.
    const logged = await eventually(() =>
      server.output
        .join('')
        .split('\n')
        .filter((line) => line.includes('"request completed"'))
        .map((line) => JSON.parse(line) as { reqId: string; req: { url: string } })
        .find((line) => line.reqId === requestId),
    );
    expect(logged.req.url).toBe('/api/v1/tenants');
    if (kind === 'postgres') {
      // The statements the request ran are children in the same trace.
      await eventually(() => receiver.spans.some((s) => s.traceId === requestId && s.scope === '@opentelemetry/instrumentation-pg'));
    }
  });

  it('traces the Redis commands a request makes when Redis is configured', async () => {
    if (!redisUrl) return;
    // The sign-in page keeps its CSRF token in a new session: stored on Redis.
    const res = await fetch(`${server.url}/login`);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id')!;
    await eventually(() => receiver.spans.some((s) => s.traceId === requestId && s.scope === '@opentelemetry/instrumentation-ioredis'));
  });

  it('traces the outbound calls Portico makes (a webhook delivery, by the worker when there is one)', async () => {
    const hooks = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const hookPort = (hooks.address() as AddressInfo).port;
    try {
      const post = (path: string, body: unknown, authorization = `Bearer ${TOKEN}`) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const tenantKey = `traced-${kind}`;
      expect((await post('/api/v1/tenants', { key: tenantKey, name: 'Traced' })).status).toBe(201);
      const key = (await (await post(`/api/v1/tenants/${tenantKey}/api-keys`, { label: 'tracing' })).json()) as {
        keyId: string;
        secret: string;
      };
      const endpoint = { tenantKey, url: `http://127.0.0.1:${hookPort}/hook`, events: ['organization.created'], allowPrivateNetwork: true };
      expect((await post('/api/v1/webhooks/endpoints', endpoint)).status).toBe(201);
      const basic = `Basic ${Buffer.from(`${key.keyId}:${key.secret}`).toString('base64')}`;
      expect((await post('/api/v1/organizations', { name: 'Traced Org' }, basic)).status).toBe(201);
      const outbound = await eventually(() =>
        receiver.spans.find(
          (s) => s.kind === 3 && s.scope === '@opentelemetry/instrumentation-undici' && attribute(s.attributes, 'server.port') === hookPort,
        ),
      );
      expect(attribute(outbound.attributes, 'http.request.method')).toBe('POST');
      expect(outbound.service).toBe(worker ? 'portico-worker' : 'portico-under-test');
    } finally {
      hooks.closeAllConnections();
      await new Promise((resolve) => hooks.close(resolve));
    }
  });

  it("serves the worker's own metrics on its METRICS_PORT, without a token", async () => {
    if (!worker) return;
    const res = await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE portico_job_queue_depth gauge$/m);
    expect(text).toMatch(/^# TYPE portico_webhook_deliveries_total counter$/m);
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    // The worker has no HTTP families: it serves no requests.
    expect(text).not.toMatch(/portico_http_request_duration_seconds/);
    expect(text).toMatch(/^portico_job_queue_depth\{queue="webhooks\.deliver",state="waiting"\} \d+$/m);
    expect((await fetch(`http://127.0.0.1:${workerMetricsPort}/health`)).status).toBe(404);
  });

  it('leaves health probes and metrics scrapes out of the traces', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const marker = await fetch(`${server.url}/api/v1/tenants`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const markerId = marker.headers.get('x-request-id')!;
    const traced = await eventually(() => receiver.spans.find((s) => s.traceId === markerId && s.kind === 2));
    expect(attribute(traced.attributes, 'url.path')).toBe('/api/v1/tenants');
    expect(receiver.spans.filter((s) => s.kind === 2 && attribute(s.attributes, 'url.path') === '/health')).toEqual([]);
  });
});

describe('tracing switched off', () => {
  it('loads nothing of OpenTelemetry without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const probe = (env: Record<string, string>) =>
      promisify(execFile)(
        process.execPath,
        [
          '-e',
          `require(${JSON.stringify(join(build.dir, 'apps/server/src/tracing.js'))});` +
            `console.log(Object.keys(require.cache).filter((k) => k.includes('@opentelemetry')).length)`,
        ],
        { env: { PATH: process.env.PATH ?? '', ...env } },
      );
    expect(Number((await probe({})).stdout.trim())).toBe(0);
    // The same probe with the variable set does load it, so the zero above means something.
    expect(Number((await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).stdout.trim())).toBeGreaterThan(0);
  });
});
