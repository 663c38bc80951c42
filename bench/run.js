'use strict';
// `npm run bench`: builds, then measures the built server against a bare NestJS-on-Express route
// on this machine, in one run, and prints a table with PASS/MISS per target.
//
//   node bench/run.js                  the measurement (about two minutes)
//   node bench/run.js --profile        and then a CPU profile of the server during the GET load
//   node bench/run.js --profile-only   only that profile (BENCH_PROFILE_PATH=/health profiles another route)
//
// Everything runs on 127.0.0.1: the server and the bare app as child processes with the same Node
// flags, the load generator (autocannon) in this process. Each load gets a warm-up, then its
// measured time in interleaved slices. BENCH_DURATION / BENCH_WARMUP (seconds) change the windows;
// BENCH_SERVER=<path to main.js> measures another build with the same harness.
const { randomBytes } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const autocannon = require('autocannon');
const {
  ADMIN_TOKEN,
  BARE_MAIN,
  ROOT,
  SECRET_KEY,
  call,
  makeTempDir,
  percent: pct,
  printMarkdownTable,
  runMain,
  sqliteUrl,
  startProcess,
  stop,
  warnIfBusy,
} = require('./support');

const SERVER_MAIN = process.env.BENCH_SERVER ? path.resolve(process.env.BENCH_SERVER) : path.join(ROOT, 'dist/apps/server/src/main.js');
// Both processes get exactly these flags, so the comparison is like for like.
const NODE_FLAGS = [];
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const ROUNDS = 2;
const COLD_START_RUNS = 5;
const LOAD_DEFAULTS = { connections: CONNECTIONS, pipelining: 1, timeout: 10 };
const WATCHDOG_MS = 10 * 60_000;
const PROFILE = process.argv.includes('--profile');
const PROFILE_ONLY = process.argv.includes('--profile-only');

const TARGETS = { getRatio: 0.6, getP99Ms: 20, coldStartMs: 3000, idleRssMb: 200 };

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${path.relative(ROOT, SERVER_MAIN)} is missing: run \`npm run bench\` (it builds first)`);
  const cpus = os.cpus();
  console.log(
    `Portico benchmark — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  );
  console.log(
    `${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per load, SQLite, LOG_LEVEL=warn, load generator in this process`,
  );
  warnIfBusy();
  console.log('');

  if (PROFILE_ONLY) {
    const dir = tempDir();
    const setup = await startServer(dir);
    const fixture = await makeFixture(setup.port);
    await stop(setup.child);
    return profileGet(dir, fixture);
  }

  // Cold start: spawn -> first 200 from /health, on a fresh database (migrations and first admin
  // included) and on one that is already migrated. The median of several runs is judged.
  const fresh = [];
  let dataDir;
  for (let i = 0; i < COLD_START_RUNS; i++) {
    dataDir = tempDir();
    const server = await startServer(dataDir);
    fresh.push(server.coldStartMs);
    await stop(server.child);
  }
  const migrated = [];
  let server;
  for (let i = 0; i < COLD_START_RUNS; i++) {
    if (server) await stop(server.child);
    server = await startServer(dataDir);
    migrated.push(server.coldStartMs);
  }
  console.log(`cold start, fresh DB:    ${fresh.map(ms).join(', ')}`);
  console.log(`cold start, migrated DB: ${migrated.map(ms).join(', ')}`);

  await sleep(3000);
  const idleRssMb = rssMb(server.child.pid);
  console.log(`idle RSS after start:    ${idleRssMb.toFixed(1)} MB\n`);

  // The loads. All processes stay up; each load runs in ROUNDS interleaved slices, so a change in
  // background activity during the run hits every row alike instead of skewing the ratios.
  const fixture = await makeFixture(server.port);
  const bare = await startProcess([...NODE_FLAGS, BARE_MAIN], {}, serverOptions({}, '/bare'));
  const infoDir = tempDir();
  const infoServer = await startServer(infoDir, { LOG_LEVEL: 'info' });
  const infoFixture = await makeFixture(infoServer.port);
  let seq = 0;
  const runId = randomBytes(4).toString('hex');
  const loads = [
    { name: 'bare Nest route (GET /bare)', options: { url: `http://127.0.0.1:${bare.port}/bare` } },
    { name: 'server GET /health (no guard, no DB)', options: { url: `http://127.0.0.1:${server.port}/health` } },
    {
      name: 'GET /api/v1/users/{id} (tenant key)',
      options: { url: `http://127.0.0.1:${server.port}/api/v1/users/${fixture.userId}`, headers: { authorization: fixture.basic } },
    },
    {
      name: 'POST /api/v1/users (unique emails)',
      options: {
        url: `http://127.0.0.1:${server.port}`,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/users',
            headers: { authorization: fixture.basic, 'content-type': 'application/json' },
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({ email: `bench-${runId}-${++seq}@example.com`, firstName: 'Bench', lastName: `User ${seq}` }),
            }),
          },
        ],
      },
    },
    {
      // The time one request takes when nothing queues: at 50 connections latency is mostly
      // waiting (p50 is about 50 / requests per second), so this row shows the service time.
      name: 'GET /api/v1/users/{id}, 1 connection',
      single: true,
      options: {
        url: `http://127.0.0.1:${server.port}/api/v1/users/${fixture.userId}`,
        headers: { authorization: fixture.basic },
        connections: 1,
      },
    },
    {
      // The same GET with request logging at its default level (info), for comparison only.
      name: 'GET /api/v1/users/{id}, LOG_LEVEL=info',
      options: {
        url: `http://127.0.0.1:${infoServer.port}/api/v1/users/${infoFixture.userId}`,
        headers: { authorization: infoFixture.basic },
      },
    },
  ];
  for (const l of loads) {
    process.stdout.write(`warm-up: ${l.name}\n`);
    await autocannon({ ...LOAD_DEFAULTS, ...l.options, duration: WARMUP_S });
    l.acc = { latencies: [], seconds: 0, errors: 0, non2xx: 0 };
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const l of loads) {
      process.stdout.write(`load ${round}/${ROUNDS}: ${l.name} … `);
      const rps = await slice(l.options, DURATION_S / ROUNDS, l.acc);
      console.log(`${Math.round(rps)} req/s`);
    }
  }
  const loadedRssMb = rssMb(server.child.pid);
  await Promise.all([stop(server.child), stop(bare.child), stop(infoServer.child)]);

  const results = loads.map((l) => ({ ...summarise(l.name, l.acc), single: Boolean(l.single) }));
  const [bareResult, , getUser] = results;
  const bareRps = bareResult.rps;
  printTable(results, bareRps);
  console.log(`\nRSS after the loads: ${loadedRssMb.toFixed(1)} MB; POST created ${seq} users in total (warm-up included)`);

  const freshMedian = median(fresh);
  const migratedMedian = median(migrated);
  const checks = [
    [`GET /users/{id} req/s ≥ ${TARGETS.getRatio * 100}% of bare`, pct(getUser.rps / bareRps), getUser.rps / bareRps >= TARGETS.getRatio],
    [`GET /users/{id} p99 ≤ ${TARGETS.getP99Ms} ms`, `${getUser.p99.toFixed(1)} ms`, getUser.p99 <= TARGETS.getP99Ms],
    [`cold start, fresh DB ≤ ${TARGETS.coldStartMs / 1000} s (median)`, ms(freshMedian), freshMedian <= TARGETS.coldStartMs],
    [`cold start, migrated DB ≤ ${TARGETS.coldStartMs / 1000} s (median)`, ms(migratedMedian), migratedMedian <= TARGETS.coldStartMs],
    [`idle RSS ≤ ${TARGETS.idleRssMb} MB`, `${idleRssMb.toFixed(1)} MB`, idleRssMb <= TARGETS.idleRssMb],
  ];
  console.log('\nTargets');
  for (const [label, value, ok] of checks) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${label.padEnd(44)} ${value}`);

  if (PROFILE) await profileGet(dataDir, fixture);

  const broken = results.filter((r) => r.errors || r.non2xx);
  if (broken.length) {
    console.log(`\nINVALID: errors or non-2xx answers in: ${broken.map((r) => r.name).join('; ')}`);
    process.exitCode = 1;
  }
}

/** One measured slice of a load; every response time is kept, so slices add up exactly. */
async function slice(options, seconds, acc) {
  const instance = autocannon({ ...LOAD_DEFAULTS, ...options, duration: seconds });
  const before = acc.latencies.length;
  instance.on('response', (_client, _status, _bytes, responseTime) => acc.latencies.push(responseTime));
  const r = await instance;
  acc.seconds += r.duration;
  acc.errors += r.errors + r.timeouts;
  acc.non2xx += r.non2xx;
  return (acc.latencies.length - before) / r.duration;
}

function summarise(name, acc) {
  const sorted = Float64Array.from(acc.latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { name, rps: sorted.length / acc.seconds, p50: at(0.5), p99: at(0.99), errors: acc.errors, non2xx: acc.non2xx };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function printTable(results, bareRps) {
  printMarkdownTable(
    ['load (50 connections unless said)', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'vs bare'],
    results.map((r) => [
      r.name,
      Math.round(r.rps),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      r.errors,
      r.non2xx,
      r.single ? '-' : pct(r.rps / bareRps),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Processes

function tempDir() {
  return makeTempDir('portico-bench-');
}

function startServer(dataDir, env = {}, flags = []) {
  return startProcess(
    [...NODE_FLAGS, ...flags, SERVER_MAIN],
    {
      DATABASE_URL: sqliteUrl(dataDir, 'portico.sqlite'),
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      PORTICO_SECRET_KEY: SECRET_KEY,
      ...env,
    },
    serverOptions(env),
  );
}

/**
 * Ready on the first 200 from the path, polled every 5 ms so the cold start is measured closely. The
 * output goes to a file, as a deployed server's would, not through a pipe into this (load-generating)
 * process.
 */
function serverOptions(env = {}, ready = '/health') {
  return { ready, pollMs: 5, logFile: path.join(tempDir(), 'output.log'), ipc: Boolean(env.BENCH_PROFILE_FILE) };
}

function rssMb(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** A tenant, its API key and one user to read, made through the public API. */
async function makeFixture(port) {
  await call(port, 'POST', '/api/v1/tenants', { key: 'bench', name: 'Bench tenant' });
  const { keyId, secret } = await call(port, 'POST', '/api/v1/tenants/bench/api-keys', { label: 'bench' });
  const basic = `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}`;
  const user = await call(port, 'POST', '/api/v1/users', { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' }, basic);
  return { basic, userId: user.id };
}

// ---------------------------------------------------------------------------------------------
// --profile: where the GET's CPU time goes

async function profileGet(dataDir, fixture) {
  const file = path.join(tempDir(), 'get-user.cpuprofile');
  const server = await startServer(dataDir, { BENCH_PROFILE_FILE: file }, ['--require', path.join(__dirname, 'cpu-profile-hook.js')]);
  const urlPath = process.env.BENCH_PROFILE_PATH ?? `/api/v1/users/${fixture.userId}`;
  const options = { url: `http://127.0.0.1:${server.port}${urlPath}`, headers: { authorization: fixture.basic } };
  const reply = (expected) => new Promise((resolve) => server.child.on('message', (m) => m === expected && resolve()));
  await autocannon({ connections: CONNECTIONS, duration: WARMUP_S, ...options });
  server.child.send('start');
  await reply('started');
  await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
  server.child.send('stop');
  await reply('written');
  await stop(server.child);
  summariseProfile(JSON.parse(readFileSync(file, 'utf8')));
}

function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = new Map();
  for (const id of profile.samples) samples.set(id, (samples.get(id) ?? 0) + 1);
  const total = profile.samples.length;

  const bucketOf = (n) => {
    const { url, functionName } = n.callFrame;
    if (!url) return functionName.startsWith('(') ? functionName : '(native)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1];
    if (url.startsWith('node:')) return 'node core';
    if (url.includes('/dist/')) return 'portico';
    return url;
  };
  const self = new Map();
  const inclusive = new Map();
  const functions = new Map();
  for (const [id, count] of samples) {
    const node = byId.get(id);
    const bucket = bucketOf(node);
    self.set(bucket, (self.get(bucket) ?? 0) + count);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${bucket === 'portico' ? path.relative(ROOT, node.callFrame.url.replace('file://', '')) : bucket}:${node.callFrame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + count);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) seen.add(bucketOf(byId.get(cur)));
    for (const b of seen) inclusive.set(b, (inclusive.get(b) ?? 0) + count);
  }
  const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`\nCPU profile of the server during GET ${process.env.BENCH_PROFILE_PATH ?? '/api/v1/users/{id}'} (${total} samples)`);
  console.log('  self time by package                    | on the stack (inclusive)');
  for (const [bucket, count] of top(self, 16)) {
    console.log(`  ${pct(count / total).padStart(6)}  ${bucket.padEnd(32)} | ${pct((inclusive.get(bucket) ?? 0) / total).padStart(6)}`);
  }
  console.log('  hottest functions (self time)');
  for (const [fn, count] of top(functions, 20)) console.log(`  ${pct(count / total).padStart(6)}  ${fn}`);
}

// ---------------------------------------------------------------------------------------------

function ms(value) {
  return `${Math.round(value)} ms`;
}

runMain(main, { watchdogMs: WATCHDOG_MS, onError: (err) => console.error(`\nbench failed: ${err.stack ?? err}`) });
