import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { chargesOf, RunBody, setBillingApi, waitForRun } from '../support/billing';
import { freshDatabase, TestDatabase } from '../support/databases';
import { makeOrganization, makeTenant } from '../support/factories';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';
import type { TestApp } from '../support/test-app';
import { buildApp, ServerProcess, WorkerProcess } from '../support/worker-process';

const ADMIN_TOKEN = 'faults-billing-admin-token-0123456789';
const ORGANIZATIONS = 120;
const CONCURRENCY = 4;

/**
 * A tenant billing API that is slow and now and then answers 500, some of them after making the
 * bill. One bill per Idempotency-Key (a key seen again answers the bill it made); it counts every
 * request it receives and knows how many it is still holding.
 */
class FlakyBillingReceiver {
  readonly username = 'faults-billing';
  readonly password = 'faults-billing-secret';
  /** Requests received, by Idempotency-Key. */
  readonly calls = new Map<string, number>();
  /** Bills made: Idempotency-Key → group_id. */
  readonly bills = new Map<string, string>();
  inFlight = 0;
  private received = 0;
  private server: Server | null = null;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get setting(): Record<string, unknown> {
    const { port } = this.server!.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/api`, username: this.username, password: this.password, allowPrivateNetwork: true };
  }

  get total(): number {
    return this.received;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const key = String(req.headers['idempotency-key']);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { group_id: string };
    const n = this.received++;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    this.inFlight++;
    let answered = false;
    const done = () => {
      if (!answered) this.inFlight--;
      answered = true;
    };
    res.once('close', done);
    // Slow, varying answers; a fixed pattern rather than chance, so a failure can be replayed.
    await new Promise((r) => setTimeout(r, 150 + ((n * 37) % 200)));
    if (n % 9 === 4) return send(res, 500, { success: false, error: 'Flaky before the bill' }, done);
    if (!this.bills.has(key)) this.bills.set(key, body.group_id);
    if (n % 13 === 6) return send(res, 500, { success: false, error: 'Flaky after the bill' }, done);
    send(res, 200, { success: true, data: { id: `bill-${key}`, status: 'pending' } }, done);
  }
}

function send(res: ServerResponse, status: number, body: unknown, done: () => void): void {
  done();
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function eventually<T>(what: string, timeoutMs: number, check: () => T | false | Promise<T | false>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false) return value;
    if (Date.now() > until) throw new Error(`Still waiting after ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const redisUrl = redisForTests('the billing fault suite (workers killed mid-run)');
const postgres = !!process.env.TEST_DATABASE_URL || process.env.CI === 'true';
if (!postgres) process.stderr.write('\n  [skipped] billing faults: set TEST_DATABASE_URL to run them\n');
const describeWithPeers = redisUrl && postgres ? describe : describe.skip;

/**
 * Two servers and two workers as real processes on PostgreSQL and Redis, with the monthly schedule
 * off. The worker executing a billing run is killed with SIGKILL, twice: the run is taken over by
 * the stall sweep (not the queue's stall handling, which gives up on a job killed twice), every
 * organization is billed once, no run stays `running`, and each charge's tries are the calls made.
 */
describeWithPeers('billing with workers killed mid-run (postgres + redis)', () => {
  let build: { dir: string; remove(): void };
  let db: TestDatabase;
  let receiver: FlakyBillingReceiver;
  const prefix = uniqueJobsPrefix();
  const servers: ServerProcess[] = [];
  const workers: WorkerProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    [build, db, receiver] = await Promise.all([buildApp(), freshDatabase('postgres'), new FlakyBillingReceiver().start()]);
    env = {
      DATABASE_URL: db.url,
      PORTICO_SECRET_KEY: 'faults-billing-secret-key-faults-billing-secret-key',
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      REDIS_URL: redisUrl!,
      JOBS_PREFIX: prefix,
      BILLING_SCHEDULE: 'false',
      BILLING_CONCURRENCY: String(CONCURRENCY),
      BILLING_TIMEOUT_MS: '3000',
      BILLING_RETRY_DELAYS_MS: '50,100,150,200,300,400,500',
      // Short lease timings: a stalled run is taken over within 1.5 s + 0.5 s instead of 15 s + 5 s.
      BILLING_HEARTBEAT_MS: '250',
      BILLING_STALE_AFTER_MS: '1500',
      BILLING_SWEEP_MS: '500',
    };
    // One after the other: the first applies the migrations.
    for (const migrate of ['true', 'false']) {
      const server = await ServerProcess.create(build.dir, { ...env, MIGRATE_ON_START: migrate, JOBS_IN_SERVER: 'false' });
      servers.push(server);
      await server.start();
    }
    await Promise.all([startWorker(), startWorker()]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...workers, ...servers].map((p) => p.stop('SIGKILL')));
    await receiver?.close();
    await db?.drop();
    if (redisUrl) await dropJobsPrefix(redisUrl, prefix);
    build?.remove();
  });

  async function startWorker(): Promise<WorkerProcess> {
    // info: the worker says which run it executes.
    const worker = new WorkerProcess(build.dir, { ...env, LOG_LEVEL: 'info' });
    workers.push(worker);
    return worker.start();
  }

  /** The live worker that last said it executes the run, once it has said so more often than `seen` times in all. */
  function executor(runId: string, seen: number): WorkerProcess | false {
    const line = `Billing run ${runId} `;
    let count = 0;
    let last: WorkerProcess | null = null;
    for (const w of workers) {
      const said = w.output.join('').split(line).length - 1;
      count += said;
      if (said && w.running) last = w;
    }
    return count > seen && last ? last : false;
  }

  /** Kills the run's worker while it has every call of the run waiting on the receiver (none counted but unsent). */
  async function killExecutor(runId: string, seen: number, afterCalls: number): Promise<void> {
    const worker = await eventually(`a worker executing run ${runId}`, 20_000, () => executor(runId, seen));
    await eventually(`${afterCalls} bills received`, 20_000, () => receiver.total >= afterCalls);
    await eventually('every call of the run waiting on the receiver', 20_000, () => receiver.inFlight === CONCURRENCY);
    expect(await worker.stop('SIGKILL')).toBe(-1);
    await startWorker();
  }

  it('bills every organization once, leaves no run running, and counts each call once', async () => {
    const api = { http: request(servers[0].url), admin: `Bearer ${ADMIN_TOKEN}` } as unknown as TestApp;
    const other = { http: request(servers[1].url), admin: `Bearer ${ADMIN_TOKEN}` } as unknown as TestApp;
    const tenant = await makeTenant(api);
    await setBillingApi(api, tenant.key, receiver.setting);
    const groups = new Map<string, string>();
    for (let i = 0; i < ORGANIZATIONS; i++) {
      const org = await makeOrganization(i % 2 ? other : api, tenant.auth, {
        externalUid: `grp-${i}`,
        plan: { priceCents: 990, currency: 'EUR' },
      });
      groups.set(org.id, `grp-${i}`);
    }

    const started = await other.http.post('/api/v1/billing/runs').set('Authorization', other.admin).send({ period: '2026-11' }).expect(201);
    const runId: string = started.body.id;
    await killExecutor(runId, 0, 20);
    // Taken over by the sweep of a surviving (or the new) worker, not by the queue.
    await killExecutor(runId, 1, receiver.total + 15);

    const run: RunBody = await waitForRun(api, runId, 60_000);
    expect(run).toMatchObject({
      status: 'completed',
      counts: { organizations: ORGANIZATIONS, submitted: ORGANIZATIONS, failed: 0, unknown: 0, pending: 0 },
    });
    // It was executed three times: twice killed, then to the end.
    expect(executor(runId, 2)).toBeTruthy();
    const runs = (await api.http.get('/api/v1/billing/runs').set('Authorization', api.admin).expect(200)).body.items as RunBody[];
    expect(runs.filter((r) => r.status === 'running' || r.status === 'queued')).toEqual([]);

    const charges = await chargesOf(other, other.admin, { period: '2026-11' });
    expect(charges).toHaveLength(ORGANIZATIONS);
    expect(new Set(charges.map((c) => c.organizationId)).size).toBe(ORGANIZATIONS);
    for (const charge of charges) {
      // Billed once, under its own key, and every call it took counted once.
      expect({
        id: charge.id,
        status: charge.status,
        bills: [...receiver.bills].filter(([, g]) => g === groups.get(charge.organizationId)),
      }).toEqual({ id: charge.id, status: 'submitted', bills: [[charge.id, groups.get(charge.organizationId)]] });
      expect({ id: charge.id, attempts: charge.attempts }).toEqual({ id: charge.id, attempts: receiver.calls.get(charge.id) });
    }
    expect(receiver.bills.size).toBe(ORGANIZATIONS);
  }, 150_000);
});
