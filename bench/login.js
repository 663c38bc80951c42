'use strict';
// `npm run bench:login`: builds, then measures password sign-ins per second through POST /login on
// the built server (argon2id, SQLite), beside raw argon2 verifications per second in this same run,
// and the server's event-loop delay while it signs people in. Prints a table with PASS/MISS.
//
// Each sign-in is what a browser does: GET /login (a session and its CSRF token), then POST /login
// with that cookie and token; only the POST is counted. Everything runs on 127.0.0.1.
// BENCH_DURATION / BENCH_WARMUP (seconds) and BENCH_CONCURRENCY change the load.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { clearTimeout } = require('node:timers');
const { URLSearchParams } = require('node:url');
const argon2 = require('argon2');

const ROOT = path.resolve(__dirname, '..');
const SERVER_MAIN = path.join(ROOT, 'dist/apps/server/src/main.js');
const PROBE = path.join(__dirname, 'eld-probe.js');
const CORES = os.availableParallelism();
// Modest and bounded: enough requests in flight to keep every libuv worker hashing, no more.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? Math.max(4, CORES * 2));
const DURATION_S = Number(process.env.BENCH_DURATION ?? 15);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const USERS = 40;
const PASSWORD = 'Bench-Marmot-64-ridge';
// The parameters Portico hashes with (libs/core/src/crypto/crypto.service.ts).
const ARGON2 = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const TARGETS = { perCore: 25, ratio: 0.8, eldP99Ms: 50 };

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
let server = null;
let dataDir = null;

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:login` (it builds first)');
  const cpus = os.cpus();
  console.log(
    `Portico login benchmark — node ${process.version}, ${CORES} × ${cpus[0]?.model ?? 'CPU'}, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4}`,
  );
  console.log(
    `${CONCURRENCY} sign-ins in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured, SQLite, NODE_ENV=production, LOG_LEVEL=warn, load generator in this process`,
  );
  const [load1] = os.loadavg();
  if (load1 > 0.5)
    console.log(`WARNING: load average ${load1.toFixed(2)} before the start: something else is running, the figures will be noisy`);
  console.log('');

  dataDir = mkdtempSync(path.join(os.tmpdir(), 'portico-bench-login-'));
  const eldFile = path.join(dataDir, 'eld.json');
  server = await startServer(dataDir, eldFile);
  const logins = await makeUsers(server.port);

  // Raw argon2 first, with the server idle: the ceiling a sign-in could reach on this machine.
  const hash = await argon2.hash(PASSWORD, ARGON2);
  await verifyLoop(hash, WARMUP_S);
  const raw = await verifyLoop(hash, DURATION_S);

  await loginLoop(server.port, logins, WARMUP_S);
  await probe(server.child, 'eld:reset'); // the server's histogram starts afresh for the measured window
  const cpuBefore = { server: cpuSeconds(server.child.pid), bench: process.cpuUsage() };
  const measured = await loginLoop(server.port, logins, DURATION_S);
  const serverCpu = cpuSeconds(server.child.pid) - cpuBefore.server;
  const benchCpu = cpuTotal(process.cpuUsage(cpuBefore.bench));
  const eld = (await probe(server.child, 'eld:report')).figures;
  await stop(server.child);

  const loginRate = measured.ok / measured.seconds;
  const rawRate = raw.count / raw.seconds;
  const perCore = loginRate / CORES;
  const ratio = loginRate / rawRate;
  console.log(`raw argon2.verify: ${raw.count} in ${raw.seconds.toFixed(1)} s`);
  console.log(
    `POST /login: ${measured.ok} signed in (303 → /account), ${measured.failed} other answers, in ${measured.seconds.toFixed(1)} s; POST latency p50 ${pct(measured.latencies, 50)} ms, p99 ${pct(measured.latencies, 99)} ms`,
  );
  console.log(`server event loop during the measured window: ${eld.samples} samples, delay p50 ${eld.p50Ms} ms, max ${eld.maxMs} ms`);
  console.log(
    `CPU during the measured window: server ${(serverCpu / measured.seconds).toFixed(2)} cores (${((serverCpu / measured.ok) * 1000).toFixed(1)} ms per sign-in, argon2 included), load generator ${(benchCpu / measured.seconds).toFixed(2)} cores`,
  );
  console.log('');
  const rows = [
    ['raw argon2id verifications/s', rawRate.toFixed(1), '', ''],
    ['password sign-ins/s (POST /login)', loginRate.toFixed(1), '', ''],
    ['sign-ins/s per core', perCore.toFixed(1), `≥ ${TARGETS.perCore}`, perCore >= TARGETS.perCore],
    ['sign-ins / raw verifications', `${(ratio * 100).toFixed(0)} %`, `≥ ${TARGETS.ratio * 100} %`, ratio >= TARGETS.ratio],
    ['server event-loop delay p99', `${eld.p99Ms} ms`, `≤ ${TARGETS.eldP99Ms} ms`, eld.p99Ms <= TARGETS.eldP99Ms],
  ];
  printTable(
    ['measure', 'value', 'target', ''],
    rows.map(([a, b, c, ok]) => [a, b, c, ok === '' ? '' : ok ? 'PASS' : 'MISS']),
  );
  if (measured.failed > 0)
    console.log(`\nNOTE: ${measured.failed} sign-ins did not end in 303 → /account (first: ${measured.firstFailure})`);
}

// ---------------------------------------------------------------------------------------------
// The two loads

/** `CONCURRENCY` workers verifying for `seconds` on libuv's pool, as the server does. */
async function verifyLoop(hash, seconds) {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2.verify refused the right password');
        count += 1;
      }
    }),
  );
  return { count, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** `CONCURRENCY` browsers signing in over and over, round-robin over the users. */
async function loginLoop(port, logins, seconds) {
  const end = Date.now() + seconds * 1000;
  let next = 0;
  const result = { ok: 0, failed: 0, firstFailure: null, latencies: [] };
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const login = logins[next++ % logins.length];
        const page = await request(port, 'GET', '/login');
        const cookie = sessionCookie(page);
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
        if (page.status !== 200 || !cookie || !csrf) throw new Error(`GET /login answered ${page.status} without a session or token`);
        const form = new URLSearchParams({ _csrf: csrf, login, password: PASSWORD }).toString();
        const t0 = process.hrtime.bigint();
        const res = await request(port, 'POST', '/login', form, { cookie, 'content-type': 'application/x-www-form-urlencoded' });
        result.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (res.status === 303 && res.headers.location === '/account') result.ok += 1;
        else {
          result.failed += 1;
          result.firstFailure ??= `${res.status} ${res.body.slice(0, 200)}`;
        }
      }
    }),
  );
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Server and fixture

async function startServer(dir, eldFile) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', PROBE, SERVER_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: os.tmpdir(),
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(dir, 'p.sqlite')}`,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      // As deployed (Dockerfile, docker-compose): among other things Express then caches compiled views.
      NODE_ENV: 'production',
      PORTICO_SECRET_KEY: randomBytes(32).toString('base64'),
      BENCH_ELD_FILE: eldFile,
      ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before it answered:\n${output}`);
    const res = await request(port, 'GET', '/health').catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the server did not answer /health within 30 s:\n${output}`);
    await sleep(20);
  }
  return { child, port, output: () => output };
}

async function makeUsers(port) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  // Lockout stays on (as in production), with room for every sign-in in flight from one address.
  await expectStatus(
    request(port, 'PUT', '/api/v1/settings/authentication', JSON.stringify({ lockout: { maxPasswordFailures: 100 } }), admin),
    200,
  );
  const logins = [];
  for (let i = 0; i < USERS; i++) {
    const email = `bench-${i}@marmot.example`;
    await expectStatus(
      request(
        port,
        'POST',
        '/api/v1/users',
        JSON.stringify({ email, firstName: 'Bench', lastName: `User ${i}`, password: PASSWORD }),
        admin,
      ),
      201,
    );
    logins.push(email);
  }
  return logins;
}

/** Sends a command to bench/eld-probe.js in the server and waits for its answer. */
function probe(child, command) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the event-loop probe did not answer (is bench/eld-probe.js preloaded?)')), 5000);
    const onMessage = (message) => {
      if (!message || typeof message.eld !== 'string' || `eld:${message.eld}` !== command) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send(command);
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function request(port, method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, agent, headers: { accept: 'text/html', ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

async function expectStatus(pending, status) {
  const res = await pending;
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.body.slice(0, 300)}`);
  return res;
}

function sessionCookie(res) {
  const header = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('portico.sid='));
  return header ? header.split(';')[0] : null;
}

/** CPU seconds (user + system) a process has used so far, all its threads included. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

function cpuTotal(usage) {
  return (usage.user + usage.system) / 1e6;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function pct(values, p) {
  if (!values.length) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
}

function printTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(all[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of all.slice(1)) console.log(line(r));
}

async function cleanup() {
  if (server) await stop(server.child).catch(() => undefined);
  agent.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

main()
  .then(cleanup)
  .catch(async (err) => {
    console.error(err);
    if (server) console.error(`server output (last lines):\n${server.output()}`);
    await cleanup();
    process.exitCode = 1;
  });
