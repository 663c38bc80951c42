'use strict';
// `npm run bench:autologin`: builds, then measures autologin round trips per second on the built
// server (SQLite): POST /api/auth/autologin (a known user; the token is the tenant's plain secret,
// or a JWT signed with it) followed by GET /auth/session/{id} (redeemed: a session starts, 303 →
// /account). Beside them, in the same run and with the same client, a bare NestJS-on-Express route
// (bench/bare-app.js) as the baseline. Prints a table.
//
// Everything runs on 127.0.0.1. JWTs are signed before the measured window (each jti is used once),
// so the load generator's signing does not count. BENCH_DURATION / BENCH_WARMUP (seconds) and
// BENCH_CONCURRENCY change the load.
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { clearTimeout, setTimeout } = require('node:timers');
const { TextEncoder } = require('node:util');
const { SignJWT } = require('jose');

const ROOT = path.resolve(__dirname, '..');
const SERVER_MAIN = path.join(ROOT, 'dist/apps/server/src/main.js');
const BARE_MAIN = path.join(__dirname, 'bare-app.js');
const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const USERS = 40;
const TENANT = 'bench-portal';

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
const children = [];
let dataDir = null;

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:autologin` (it builds first)');
  const cpus = os.cpus();
  console.log(`Portico autologin benchmark — node ${process.version}, ${CORES} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `${CONCURRENCY} clients, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per load, SQLite, NODE_ENV=production, LOG_LEVEL=warn, load generator in this process`,
  );
  const [load1] = os.loadavg();
  if (load1 > 0.5)
    console.log(`WARNING: load average ${load1.toFixed(2)} before the start: something else is running, the figures will be noisy`);
  console.log('');

  dataDir = mkdtempSync(path.join(os.tmpdir(), 'portico-bench-autologin-'));
  const server = await startProcess(SERVER_MAIN, {
    DATABASE_URL: `sqlite:${path.join(dataDir, 'p.sqlite')}`,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    PORTICO_SECRET_KEY: randomBytes(32).toString('base64'),
  });
  const bare = await startProcess(BARE_MAIN, {}, '/bare');
  const secret = await makeTenant(server.port);
  const logins = Array.from({ length: USERS }, (_, i) => `bench-${i}@autologin.example`);
  // Each person signs in once first: the measured round trips find existing users, as a portal's steady state does.
  for (const login of logins) await roundTrip(server.port, login, secret);

  const results = [];
  const loads = [
    {
      name: 'bare Nest route (GET /bare)',
      run: () =>
        requestLoop(
          () => request(bare.port, 'GET', '/bare'),
          (r) => r.status === 200,
        ),
    },
    { name: 'autologin, plain secret (POST + redeem)', run: () => roundTripLoop(server.port, logins, () => secret) },
    { name: 'autologin, HS256 JWT (POST + redeem)', jwt: true, run: (tokens) => roundTripLoop(server.port, logins, () => tokens.pop()) },
  ];
  for (const load of loads) {
    const tokens = load.jwt ? await signTokens(secret, 40_000) : null;
    await withDeadline(load.run(tokens), WARMUP_S);
    const cpuBefore = cpuSeconds(server.child.pid);
    const measured = await withDeadline(load.run(tokens), DURATION_S);
    const serverCpu = cpuSeconds(server.child.pid) - cpuBefore;
    results.push({ name: load.name, ...measured, serverCpu, bare: load.name.startsWith('bare') });
  }
  await Promise.all(children.map(stop));

  const bareRate = results[0].ok / results[0].seconds;
  printTable(
    ['load', 'per second', 'p50 ms', 'p99 ms', 'failed', 'server CPU ms each', 'vs bare'],
    results.map((r) => {
      const rate = r.ok / r.seconds;
      return [
        r.name,
        rate.toFixed(0),
        pct(r.latencies, 50),
        pct(r.latencies, 99),
        String(r.failed),
        r.bare ? '-' : ((r.serverCpu / r.ok) * 1000).toFixed(2),
        r.bare ? '-' : `${((rate / bareRate) * 100).toFixed(1)} %`,
      ];
    }),
  );
  console.log('\nA round trip is two requests (issue + redeem); "vs bare" compares round trips with single bare requests.');
  for (const r of results) if (r.failed) console.log(`NOTE: ${r.name}: ${r.failed} failed (first: ${r.firstFailure})`);
}

// ---------------------------------------------------------------------------------------------
// Loads

/** A portal signing someone in: issue the link, then the browser opens it. */
async function roundTrip(port, login, token) {
  const issued = await request(
    port,
    'POST',
    '/api/auth/autologin',
    JSON.stringify({ login, firstName: 'Bench', lastName: 'Person', token }),
    { 'content-type': 'application/json', accept: 'application/json' },
  );
  if (issued.status !== 200) return { ok: false, why: `POST ${issued.status} ${issued.body.slice(0, 200)}` };
  const { sessionId } = JSON.parse(issued.body);
  const landing = await request(port, 'GET', `/auth/session/${sessionId}`);
  if (landing.status !== 303 || landing.headers.location !== '/account') return { ok: false, why: `GET ${landing.status}` };
  return { ok: true };
}

function roundTripLoop(port, logins, nextToken) {
  let next = 0;
  return (until) =>
    loop(until, async () => {
      const result = await roundTrip(port, logins[next++ % logins.length], nextToken());
      return result;
    });
}

function requestLoop(send, isOk) {
  return (until) =>
    loop(until, async () => {
      const res = await send();
      return isOk(res) ? { ok: true } : { ok: false, why: `${res.status}` };
    });
}

/** `CONCURRENCY` clients doing `once` back to back until the deadline. */
async function loop(until, once) {
  const result = { ok: 0, failed: 0, firstFailure: null, latencies: [] };
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const t0 = process.hrtime.bigint();
        const r = await once();
        result.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.ok) result.ok += 1;
        else {
          result.failed += 1;
          result.firstFailure ??= r.why;
        }
      }
    }),
  );
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return result;
}

function withDeadline(run, seconds) {
  return run(Date.now() + seconds * 1000);
}

async function signTokens(secret, count) {
  const key = new TextEncoder().encode(secret);
  const exp = Math.floor(Date.now() / 1000) + 240;
  const tokens = [];
  for (let i = 0; i < count; i++)
    tokens.push(
      await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(TENANT).setJti(randomUUID()).setExpirationTime(exp).sign(key),
    );
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Processes and fixture

async function makeTenant(port) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', accept: 'application/json' };
  await expectStatus(request(port, 'POST', '/api/v1/tenants', JSON.stringify({ key: TENANT, name: 'Bench portal' }), admin), 201);
  const res = await expectStatus(request(port, 'POST', `/api/v1/tenants/${TENANT}/autologin-secret`, '{}', admin), 201);
  return JSON.parse(res.body).secret;
}

async function startProcess(main, env, healthPath = '/health') {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: os.tmpdir(),
      PORT: String(port),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${path.basename(main)} exited before it answered:\n${output}`);
    const res = await request(port, 'GET', healthPath).catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`${path.basename(main)} did not answer ${healthPath} within 30 s:\n${output}`);
    await sleep(20);
  }
  return { child, port };
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

/** CPU seconds (user + system) a process has used so far, all its threads included. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
  await Promise.all(children.map((c) => stop(c).catch(() => undefined)));
  agent.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

main()
  .then(cleanup)
  .catch(async (err) => {
    console.error(err);
    await cleanup();
    process.exitCode = 1;
  });
