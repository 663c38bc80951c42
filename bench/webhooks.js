'use strict';
// `npm run bench:webhooks`: builds, then measures outbound webhook delivery on the built app in its
// scaled setup: PostgreSQL, Redis (BullMQ), a server with JOBS_IN_SERVER=false and 2 worker
// processes, delivering to a receiver on 127.0.0.1 (in this process) that answers 204.
//
// 1. Throughput: BENCH_EVENTS (default 20,000) domain events committed to the outbox at once, one
//    endpoint subscribed: deliveries per second until the last one arrived (target ≥ 1,000/s).
// 2. Latency: events committed one by one at BENCH_RATE per second (default 200) for
//    BENCH_LATENCY_SECONDS (default 10): time from each commit to its arrival at the receiver
//    (p50/p95/p99/max), through outbox dispatch, fan-out, queue, signing and HTTP.
// Events are written straight into outbox_events, exactly as OutboxService.emit writes them inside
// a domain transaction: the API's own cost is left out so the figures are the delivery pipeline's.
// BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres; a fresh database is created
// and dropped) and BENCH_REDIS_URL (default redis://127.0.0.1:6379) name the peers.
const { randomBytes, randomUUID } = require('node:crypto');
const { existsSync } = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { clearTimeout } = require('node:timers');
const { setTimeout: sleep } = require('node:timers/promises');
const {
  DIST,
  PG_URL,
  atExit,
  call,
  createPostgresDatabase,
  migrate,
  runMain,
  serverEnv,
  startProcess,
  startServer,
  warnIfBusy,
} = require('./support');

const WORKER_MAIN = path.join(DIST, 'apps/worker/src/main.js');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const WORKERS = 2;
const TARGET_PER_SECOND = 1000;
const JOBS_PREFIX = `portico-bench-${randomBytes(4).toString('hex')}`;

async function main() {
  if (!existsSync(WORKER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:webhooks` (it builds first)');
  const cpus = os.cpus();
  console.log(`Portico webhook delivery benchmark — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(`PostgreSQL + Redis (BullMQ), ${WORKERS} workers (JOBS_CONCURRENCY=50 each), receiver on 127.0.0.1 in this process`);
  warnIfBusy();
  atExit(removeJobKeys);

  const receiver = await startReceiver();
  const db = await createPostgresDatabase(PG_URL);
  await migrate(baseEnv(db.url));
  const server = await startServer({ ...baseEnv(db.url), JOBS_IN_SERVER: 'false' }, { pollMs: 50, keepBytes: 8000 });
  const tenant = await call(server.port, 'POST', '/api/v1/tenants', { key: 'bench-portal', name: 'Bench portal' });
  await call(server.port, 'POST', '/api/v1/webhooks/endpoints', {
    tenantKey: tenant.key,
    url: `http://127.0.0.1:${receiver.port}/hook`,
    events: ['user.updated'],
    allowPrivateNetwork: true,
  });
  for (let i = 0; i < WORKERS; i++) await startWorker(db.url);
  const { Client } = require('pg');
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  atExit(() => pg.end());

  // Warm-up: connections, JIT, the receiver's keep-alive pool.
  await emitBatch(pg, tenant, 200);
  await receiver.waitFor(200, 60_000);
  receiver.reset();

  console.log(`\n— throughput: ${EVENTS.toLocaleString('en')} events committed at once —`);
  const started = performance.now();
  for (let done = 0; done < EVENTS; done += 1000) await emitBatch(pg, tenant, Math.min(1000, EVENTS - done));
  const committed = performance.now();
  await receiver.waitFor(EVENTS, 600_000);
  const elapsed = (performance.now() - started) / 1000;
  const perSecond = EVENTS / elapsed;
  const arrivals = receiver.arrivals().sort((a, b) => a - b);
  const steady = (0.8 * EVENTS) / ((arrivals[Math.floor(EVENTS * 0.9)] - arrivals[Math.floor(EVENTS * 0.1)]) / 1000);
  console.log(
    `committed in ${((committed - started) / 1000).toFixed(2)} s; all ${EVENTS.toLocaleString('en')} delivered after ${elapsed.toFixed(2)} s`,
  );
  console.log(
    `deliveries/s: ${perSecond.toFixed(0)} overall, ${steady.toFixed(0)} between the 10th and 90th percentile  ${perSecond >= TARGET_PER_SECOND ? 'PASS' : 'MISS'} (target ≥ ${TARGET_PER_SECOND}/s)`,
  );
  console.log(`duplicates received: ${receiver.duplicates()}`);
  receiver.reset();

  console.log(`\n— latency: ${RATE} events/s for ${LATENCY_SECONDS} s, commit → arrival —`);
  const commits = new Map();
  const total = RATE * LATENCY_SECONDS;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const ids = await emitBatch(pg, tenant, 1);
    commits.set(ids[0], performance.now());
  }
  await receiver.waitFor(total, 120_000);
  const latencies = [...commits].map(([id, at]) => receiver.arrivalOf(id) - at).sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  console.log(`${total} events: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${latencies.at(-1).toFixed(1)} ms`);
  console.log('(the outbox dispatcher polls every 100 ms when idle, so about 50 ms of the median is waiting for the next poll)');
}

/** Outbox rows as OutboxService.emit writes them; the user id carries the event id so the receiver can match. */
async function emitBatch(pg, tenant, count) {
  const ids = [];
  const values = [];
  const params = [];
  const now = new Date();
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    ids.push(id);
    const data = {
      user: {
        id,
        tenantKey: tenant.key,
        email: `u${id.slice(0, 8)}@bench.example`,
        username: id,
        firstName: 'Bench',
        lastName: 'User',
        billable: false,
        status: 'active',
        externalUid: null,
      },
      changed: ['firstName'],
    };
    const n = params.length;
    values.push(`($${n + 1}, 'user.updated', $${n + 2}, $${n + 3}, $${n + 4})`);
    params.push(id, tenant.id, JSON.stringify(data), now);
  }
  await pg.query(`INSERT INTO outbox_events (id, name, tenant_id, data, occurred_at) VALUES ${values.join(', ')}`, params);
  return ids;
}

async function startReceiver() {
  const arrivals = new Map();
  let duplicates = 0;
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const id = JSON.parse(Buffer.concat(chunks).toString('utf8')).data.user.id;
      if (arrivals.has(id)) duplicates++;
      else arrivals.set(id, at);
      res.writeHead(204).end();
      for (const w of waiters) w();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  atExit(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return {
    port: server.address().port,
    reset: () => arrivals.clear(),
    arrivals: () => [...arrivals.values()],
    arrivalOf: (id) => arrivals.get(id),
    duplicates: () => duplicates,
    waitFor: (count, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (arrivals.size >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${arrivals.size} of ${count} deliveries arrived within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

/** Server, workers and migrations share the database, the secret key and the job queues (a prefix of this run's own). */
function baseEnv(dbUrl) {
  return { ...serverEnv(dbUrl), REDIS_URL, JOBS_PREFIX };
}

/** A worker process, ready once it says so (it serves no HTTP). */
function startWorker(dbUrl) {
  return startProcess([WORKER_MAIN], baseEnv(dbUrl), {
    label: 'a worker',
    ready: (_port, child) => child.output().includes('worker ready'),
    pollMs: 50,
    keepBytes: 8000,
  });
}

/** The run's BullMQ keys in Redis, so repeated runs leave nothing behind. */
async function removeJobKeys() {
  const { Redis } = require('ioredis');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${JOBS_PREFIX}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

runMain(main, { stopGraceMs: 10_000 });
