'use strict';
// `npm run bench`: builds, then measures the built server against a bare NestJS-on-Express route
// on this machine, in one run, and prints a table with PASS/MISS per target.
//
//   node bench/run.js                  the measurement (about two minutes)
//   node bench/run.js --profile        and then a CPU profile of the server during the GET load
//   node bench/run.js --profile-only   only that profile (BENCH_PROFILE_PATH=/health or 'POST /api/v1/users' profiles another load)
//
// Everything runs on 127.0.0.1: the server and the bare app as child processes with the same Node
// flags. Each load gets a warm-up, then it is measured twice, each time in interleaved slices:
//  - requests/s from wrk, a C program (bench/wrk.js says why not autocannon), with the server's CPU
//    time per request read from /proc around it;
//  - then latencies from autocannon, in this process. wrk's own percentiles are not used: on this kind of
//    machine they put 2-3% of the requests of a plain Node server doing a fixed 400 µs per request at
//    160-600 ms, where autocannon and a raw-socket client both measure p99 at 30-46 ms.
// BENCH_DURATION / BENCH_WARMUP (seconds) change the windows; BENCH_SERVER=<path to main.js>
// measures another build with the same harness. BENCH_BASE=<path to another build's main.js> runs
// that build beside this one: its GET /health, users GET and users POST take the same interleaved
// slices, and a last table sets each figure beside the base's (how a change is judged on a machine
// whose speed drifts: two separate runs minutes apart differ by more than most changes).
// What metrics cost: two more servers, one with metrics on (METRICS_TOKEN) and one with them off,
// take the users GET and the entitlement check in the same interleaved slices (both without rate
// limits, whose refusals would be most of the answers at this load); BENCH_METRICS=off leaves
// those rows out.
const { randomBytes } = require('node:crypto');
const autocannon = require('autocannon');
const { existsSync, readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const {
  ADMIN_TOKEN,
  BARE_MAIN,
  benchRateLimits,
  ROOT,
  SECRET_KEY,
  call,
  cpuSeconds,
  makeTempDir,
  percent: pct,
  printMarkdownTable,
  request,
  runMain,
  sqliteUrl,
  startProcess,
  stop,
  warnIfBusy,
} = require('./support');
const { requireWrk, wrkLoad } = require('./wrk');

const SERVER_MAIN = process.env.BENCH_SERVER ? path.resolve(process.env.BENCH_SERVER) : path.join(ROOT, 'dist/apps/server/src/main.js');
// Both processes get exactly these flags, so the comparison is like for like.
const NODE_FLAGS = [];
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
// Requests/s: short wrk slices, every load in each round, the order reversed every other round. This
// machine's speed drifts by 10-20% over tens of seconds; with two rounds of 5 s slices the bare route
// and the GET were measured 20 s apart, and even GET /health, which does next to nothing beyond the
// bare route, came out anywhere between 79% and 98% of it.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// Latencies: autocannon, after the rate rounds, in this many slices per load.
const LATENCY_ROUNDS = 2;
const COLD_START_RUNS = 5;
const WATCHDOG_MS = 10 * 60_000;
const PROFILE = process.argv.includes('--profile');
const PROFILE_ONLY = process.argv.includes('--profile-only');

const TARGETS = { getRatio: 0.6, getP99Ms: 20, coldStartMs: 3000, idleRssMb: 200, metricsCost: 0.05 };
// The first issue's GET-by-id target, retired by the repositories issue (simplicity over the last
// 10 % there): still printed, no longer judged. A change is judged against its base (BENCH_BASE).
const RETIRED = 'retired target, shown for reference';
const METRICS = process.env.BENCH_METRICS !== 'off';
const BASE_MAIN = process.env.BENCH_BASE ? path.resolve(process.env.BENCH_BASE) : null;
const METRICS_TOKEN = randomBytes(24).toString('hex');

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error(`${path.relative(ROOT, SERVER_MAIN)} is missing: run \`npm run bench\` (it builds first)`);
  requireWrk();
  const cpus = os.cpus();
  console.log(
    `Portico benchmark — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  );
  console.log(
    `${CONNECTIONS} connections, SQLite, LOG_LEVEL=warn; per load ${WARMUP_S} s warm-up, ${DURATION_S} s of wrk in ${ROUNDS} interleaved slices (req/s), ${DURATION_S} s of autocannon in ${LATENCY_ROUNDS} (latencies)`,
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
  const unlimited = { RATE_LIMIT_API_PER_SECOND: '0', RATE_LIMIT_ANONYMOUS_PER_SECOND: '0', RATE_LIMIT_CHECK_PER_SECOND: '0' };
  const plainServer = METRICS ? await startServer(tempDir(), unlimited) : null;
  const plainFixture = plainServer ? await makeFixture(plainServer.port) : null;
  const metricsServer = METRICS ? await startServer(tempDir(), { ...unlimited, METRICS_TOKEN }) : null;
  const metricsFixture = metricsServer ? await makeFixture(metricsServer.port) : null;
  const baseServer = BASE_MAIN ? await startServer(tempDir(), {}, [], BASE_MAIN) : null;
  const baseFixture = baseServer ? await makeFixture(baseServer.port) : null;
  const runId = randomBytes(4).toString('hex');
  const scratch = tempDir();
  const getUserAt = (port, f) => ({ url: `http://127.0.0.1:${port}/api/v1/users/${f.userId}`, headers: { authorization: f.basic } });
  const postUserAt = (port, f, emails) => ({
    url: `http://127.0.0.1:${port}/api/v1/users`,
    method: 'POST',
    headers: { authorization: f.basic, 'content-type': 'application/json' },
    uniqueEmails: emails,
  });
  const loads = [
    { name: 'bare Nest route (GET /bare)', pid: bare.child.pid, options: { url: `http://127.0.0.1:${bare.port}/bare` } },
    { name: 'server GET /health (no guard, no DB)', pid: server.child.pid, options: { url: `http://127.0.0.1:${server.port}/health` } },
    { name: 'GET /api/v1/users/{id} (tenant key)', pid: server.child.pid, options: getUserAt(server.port, fixture) },
    { name: 'POST /api/v1/users (unique emails)', pid: server.child.pid, created: true, options: postUserAt(server.port, fixture, runId) },
    {
      // The time one request takes when nothing queues: at 50 connections latency is mostly
      // waiting (p50 is about 50 / requests per second), so this row shows the service time.
      name: 'GET /api/v1/users/{id}, 1 connection',
      pid: server.child.pid,
      single: true,
      options: { ...getUserAt(server.port, fixture), connections: 1 },
    },
    // The same GET with request logging at its default level (info), for comparison only.
    { name: 'GET /api/v1/users/{id}, LOG_LEVEL=info', pid: infoServer.child.pid, options: getUserAt(infoServer.port, infoFixture) },
  ];
  if (metricsServer) {
    const checkAt = (port, f) => ({ url: `http://127.0.0.1:${port}${f.checkPath}` });
    loads.push(
      { name: 'GET /api/v1/users/{id}, metrics off', pid: plainServer.child.pid, options: getUserAt(plainServer.port, plainFixture) },
      { name: 'GET /api/v1/users/{id}, metrics on', pid: metricsServer.child.pid, options: getUserAt(metricsServer.port, metricsFixture) },
      { name: 'GET /entitlements/check, metrics off', pid: plainServer.child.pid, options: checkAt(plainServer.port, plainFixture) },
      { name: 'GET /entitlements/check, metrics on', pid: metricsServer.child.pid, options: checkAt(metricsServer.port, metricsFixture) },
    );
  }
  if (baseServer) {
    const { port, child } = baseServer;
    loads.push(
      { name: 'BASE GET /health', pid: child.pid, base: 1, options: { url: `http://127.0.0.1:${port}/health` } },
      { name: 'BASE GET /api/v1/users/{id}', pid: child.pid, base: 2, options: getUserAt(port, baseFixture) },
      { name: 'BASE POST /api/v1/users', pid: child.pid, base: 3, options: postUserAt(port, baseFixture, `${runId}-base`) },
    );
  }
  let created = 0;
  for (const l of loads) {
    process.stdout.write(`warm-up: ${l.name}\n`);
    const warm = await wrkLoad(scratch, {
      connections: CONNECTIONS,
      ...l.options,
      seconds: WARMUP_S,
      uniqueEmails: l.options.uniqueEmails && `${runId}-w`,
    });
    if (l.created) created += warm.requests - warm.non2xx;
    l.slices = [];
    l.latency = { latencies: [], errors: 0, non2xx: 0, created: 0 };
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const l of round % 2 ? loads : [...loads].reverse()) {
      process.stdout.write(`rate ${round}/${ROUNDS}: ${l.name} … `);
      const cpuBefore = cpuSeconds(l.pid);
      const uniqueEmails = l.options.uniqueEmails && `${runId}-${round}`;
      const r = await wrkLoad(scratch, { connections: CONNECTIONS, ...l.options, seconds: DURATION_S / ROUNDS, uniqueEmails });
      r.cpuSeconds = cpuSeconds(l.pid) - cpuBefore;
      if (l.created) created += r.requests - r.non2xx;
      l.slices.push(r);
      console.log(`${Math.round(r.rps)} req/s, server CPU ${Math.round((r.cpuSeconds * 1e6) / r.requests)} µs/request`);
    }
  }
  for (let round = 1; round <= LATENCY_ROUNDS; round++) {
    for (const l of loads) {
      process.stdout.write(`latencies ${round}/${LATENCY_ROUNDS}: ${l.name} … `);
      const rps = await latencySlice(l.options, DURATION_S / LATENCY_ROUNDS, l.latency, `${runId}-a${round}`);
      console.log(`${Math.round(rps)} req/s`);
    }
  }
  const loadedRssMb = rssMb(server.child.pid);
  const scrape = metricsServer ? await scrapeSize(metricsServer.port) : null;
  await Promise.all([
    stop(server.child),
    stop(bare.child),
    stop(infoServer.child),
    metricsServer && stop(metricsServer.child),
    plainServer && stop(plainServer.child),
    baseServer && stop(baseServer.child),
  ]);

  created += loads.reduce((a, l) => a + l.latency.created, 0);
  const results = loads.map((l) => ({ ...summarise(l.name, l.slices, l.latency), single: Boolean(l.single) }));
  const [bareResult, , getUser] = results;
  printTable(
    results.filter((_, i) => !loads[i].base),
    bareResult,
  );
  if (baseServer) printBaseComparison(results, loads);
  console.log(`\nRSS after the loads: ${loadedRssMb.toFixed(1)} MB; POST created ${created} users in total (warm-up included)`);

  const freshMedian = median(fresh);
  const migratedMedian = median(migrated);
  const checks = [
    [
      `GET /users/{id} req/s ≥ ${TARGETS.getRatio * 100}% of bare`,
      pct(getUser.rps / bareResult.rps),
      getUser.rps / bareResult.rps >= TARGETS.getRatio,
      RETIRED,
    ],
    [`GET /users/{id} p99 ≤ ${TARGETS.getP99Ms} ms`, `${getUser.p99.toFixed(1)} ms`, getUser.p99 <= TARGETS.getP99Ms, RETIRED],
    [`cold start, fresh DB ≤ ${TARGETS.coldStartMs / 1000} s (median)`, ms(freshMedian), freshMedian <= TARGETS.coldStartMs],
    [`cold start, migrated DB ≤ ${TARGETS.coldStartMs / 1000} s (median)`, ms(migratedMedian), migratedMedian <= TARGETS.coldStartMs],
    [`idle RSS ≤ ${TARGETS.idleRssMb} MB`, `${idleRssMb.toFixed(1)} MB`, idleRssMb <= TARGETS.idleRssMb],
  ];
  if (metricsServer) {
    const row = (name) => results.find((r) => r.name === name);
    const pairs = [
      ['GET /api/v1/users/{id}', row('GET /api/v1/users/{id}, metrics off'), row('GET /api/v1/users/{id}, metrics on')],
      ['GET /entitlements/check', row('GET /entitlements/check, metrics off'), row('GET /entitlements/check, metrics on')],
    ];
    console.log('\nWhat metrics cost (metrics on beside off, same slices)');
    printMarkdownTable(
      ['load', 'req/s off', 'req/s on', 'on vs off', 'CPU µs/req off', 'CPU µs/req on', 'CPU on vs off'],
      pairs.map(([name, off, on]) => [
        name,
        Math.round(off.rps),
        Math.round(on.rps),
        pct(on.rps / off.rps),
        Math.round(off.cpuUs),
        Math.round(on.cpuUs),
        pct(on.cpuUs / off.cpuUs),
      ]),
    );
    console.log(`a scrape of /metrics after the loads: ${scrape.series} series, ${(scrape.bytes / 1024).toFixed(1)} KiB`);
    for (const [name, off, on] of pairs) {
      // CPU per request is the steadier figure on a shared machine; req/s is shown beside it.
      const cost = on.cpuUs / off.cpuUs - 1;
      checks.push([`${name}: metrics cost ≤ ${TARGETS.metricsCost * 100}% (CPU/req)`, pct(cost), cost <= TARGETS.metricsCost]);
    }
  }
  console.log('\nTargets');
  for (const [label, value, ok, note] of checks) {
    console.log(`  ${note ? 'info' : ok ? 'PASS' : 'MISS'}  ${label.padEnd(44)} ${value}${note ? `  (${note})` : ''}`);
  }

  if (PROFILE) await profileGet(dataDir, fixture);

  const broken = results.filter((r) => r.errors || r.non2xx);
  if (broken.length) {
    console.log(`\nINVALID: errors or non-2xx answers in: ${broken.map((r) => r.name).join('; ')}`);
    process.exitCode = 1;
  }
}

/**
 * One latency slice through autocannon: every response time is kept, so the slices of a load add
 * up exactly. POSTs get an address no earlier request used.
 */
async function latencySlice(options, seconds, acc, emailPrefix) {
  const { url, headers, method = 'GET', uniqueEmails, connections = CONNECTIONS } = options;
  const request = { method, headers };
  if (uniqueEmails) {
    let n = 0;
    request.setupRequest = (req) => {
      n += 1;
      return {
        ...req,
        body: JSON.stringify({ email: `bench-${emailPrefix}-${n}@example.com`, firstName: 'Bench', lastName: `User ${n}` }),
      };
    };
  }
  const instance = autocannon({ url, connections, pipelining: 1, timeout: 10, duration: seconds, requests: [request] });
  const before = acc.latencies.length;
  instance.on('response', (_client, _status, _bytes, responseTime) => acc.latencies.push(responseTime));
  const r = await instance;
  acc.errors += r.errors + r.timeouts;
  acc.non2xx += r.non2xx;
  if (uniqueEmails) acc.created += r['2xx'];
  return (acc.latencies.length - before) / r.duration;
}

/**
 * A load's slices together: requests/s and the server's CPU time per request over the wrk slices,
 * p50/p99 over all the autocannon slices' responses, errors and answers of 400 and up from both.
 */
function summarise(name, slices, latency) {
  const requests = slices.reduce((a, r) => a + r.requests, 0);
  const seconds = slices.reduce((a, r) => a + r.seconds, 0);
  const sorted = Float64Array.from(latency.latencies).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return {
    name,
    rps: requests / seconds,
    cpuUs: (slices.reduce((a, r) => a + r.cpuSeconds, 0) * 1e6) / requests,
    p50: at(0.5),
    p99: at(0.99),
    errors: slices.reduce((a, r) => a + r.errors, 0) + latency.errors,
    non2xx: slices.reduce((a, r) => a + r.non2xx, 0) + latency.non2xx,
  };
}

/** This build's figures beside BENCH_BASE's, measured in the same slices. */
function printBaseComparison(results, loads) {
  console.log(`\nThis build beside BENCH_BASE (${path.relative(ROOT, BASE_MAIN)}), same interleaved slices`);
  const pairs = [
    [1, 'GET /health', 1],
    [2, 'GET /api/v1/users/{id}', 2],
    [3, 'POST /api/v1/users', 3],
  ].map(([head, name, base]) => [name, results[head], results[loads.findIndex((l) => l.base === base)]]);
  printMarkdownTable(
    ['load', 'req/s base', 'req/s', 'vs base', 'CPU µs/req base', 'CPU µs/req', 'CPU vs base', 'p50 / p99 ms base', 'p50 / p99 ms'],
    pairs.map(([name, head, base]) => [
      name,
      Math.round(base.rps),
      Math.round(head.rps),
      pct(head.rps / base.rps),
      Math.round(base.cpuUs),
      Math.round(head.cpuUs),
      pct(head.cpuUs / base.cpuUs),
      `${base.p50.toFixed(1)} / ${base.p99.toFixed(1)}`,
      `${head.p50.toFixed(1)} / ${head.p99.toFixed(1)}`,
    ]),
  );
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The loads beside the bare route, by requests/s and by the server's CPU time per request (how many
 * requests a core would serve, whatever the load generator leaves it).
 */
function printTable(results, bare) {
  printMarkdownTable(
    [
      'load (50 connections unless said)',
      'req/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'non-2xx',
      'vs bare',
      'server CPU µs/req',
      'vs bare by CPU',
    ],
    results.map((r) => [
      r.name,
      Math.round(r.rps),
      r.p50.toFixed(1),
      r.p99.toFixed(1),
      r.errors,
      r.non2xx,
      r.single ? '-' : pct(r.rps / bare.rps),
      Math.round(r.cpuUs),
      r.single ? '-' : pct(bare.cpuUs / r.cpuUs),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Processes

function tempDir() {
  return makeTempDir('portico-bench-');
}

function startServer(dataDir, env = {}, flags = [], main = SERVER_MAIN) {
  return startProcess(
    [...NODE_FLAGS, ...flags, main],
    {
      DATABASE_URL: sqliteUrl(dataDir, 'portico.sqlite'),
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      PORTICO_SECRET_KEY: SECRET_KEY,
      // The limits stay on, far above this one-address load, as in every bench (support.js).
      ...benchRateLimits(),
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

/** A tenant, its API key and one user to read, and a virtual key to check, made through the public API. */
async function makeFixture(port) {
  await call(port, 'POST', '/api/v1/tenants', { key: 'bench', name: 'Bench tenant' });
  const { keyId, secret } = await call(port, 'POST', '/api/v1/tenants/bench/api-keys', { label: 'bench' });
  const basic = `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}`;
  const user = await call(port, 'POST', '/api/v1/users', { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' }, basic);
  const product = await call(port, 'POST', '/api/v1/entitlements/classes', {
    name: 'bench-product',
    server: 'repo.bench.example',
    realKey: 'real-key',
  });
  await call(port, 'POST', '/api/v1/entitlements/virtual', { key: 'bench-customer-key', classId: product.id, tenantKey: 'bench' });
  return { basic, userId: user.id, checkPath: '/entitlements/check?server=repo.bench.example;class=bench-product;key=bench-customer-key' };
}

/** How big a scrape is once the loads have run: series (sample lines) and bytes. */
async function scrapeSize(port) {
  const res = await request(port, 'GET', '/metrics', undefined, { accept: 'text/plain', authorization: `Bearer ${METRICS_TOKEN}` });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = res.body;
  return { series: text.split('\n').filter((l) => l && !l.startsWith('#')).length, bytes: Buffer.byteLength(text) };
}

// ---------------------------------------------------------------------------------------------
// --profile: where the GET's CPU time goes

async function profileGet(dataDir, fixture) {
  const file = path.join(tempDir(), 'get-user.cpuprofile');
  const server = await startServer(dataDir, { BENCH_PROFILE_FILE: file }, ['--require', path.join(__dirname, 'cpu-profile-hook.js')]);
  // BENCH_PROFILE_PATH='POST /api/v1/users' profiles the user-creating POST (unique emails).
  const [method, urlPath] = profileTarget(fixture);
  const options = { url: `http://127.0.0.1:${server.port}${urlPath}`, method, headers: { authorization: fixture.basic } };
  if (method === 'POST') Object.assign(options, { headers: { ...options.headers, 'content-type': 'application/json' } });
  const emails = (slice) => (method === 'POST' ? { uniqueEmails: `profile-${slice}-${Date.now()}` } : {});
  const reply = (expected) => new Promise((resolve) => server.child.on('message', (m) => m === expected && resolve()));
  const dir = tempDir();
  await wrkLoad(dir, { connections: CONNECTIONS, seconds: WARMUP_S, ...options, ...emails('w') });
  server.child.send('start');
  await reply('started');
  await wrkLoad(dir, { connections: CONNECTIONS, seconds: DURATION_S, ...options, ...emails('m') });
  server.child.send('stop');
  await reply('written');
  await stop(server.child);
  summariseProfile(JSON.parse(readFileSync(file, 'utf8')), `${method} ${urlPath}`);
}

/** What --profile loads: BENCH_PROFILE_PATH as `/path` or `METHOD /path`, by default the users GET. */
function profileTarget(fixture) {
  const raw = process.env.BENCH_PROFILE_PATH ?? `/api/v1/users/${fixture.userId}`;
  const match = /^(GET|POST) (\/\S*)$/.exec(raw);
  return match ? [match[1], match[2]] : ['GET', raw];
}

function summariseProfile(profile, target) {
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
  console.log(`\nCPU profile of the server during ${target} (${total} samples)`);
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
