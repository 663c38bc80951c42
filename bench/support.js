'use strict';
// What every bench under bench/ does the same way: start the built server (or another Node script)
// as a child process on a free port and wait until it answers, talk HTTP to it on 127.0.0.1, drive
// a closed-loop load, read CPU time from /proc, print the result table, and leave nothing behind
// (children, temp dirs, databases) however the run ends. Plain CommonJS, node built-ins only, so a
// bench needs nothing but `npm run build` first.
const { execFile, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { closeSync, mkdtempSync, openSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { clearTimeout } = require('node:timers');
const { setTimeout: sleep } = require('node:timers/promises');
const { URLSearchParams } = require('node:url');
const { promisify } = require('node:util');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const SERVER_MAIN = path.join(DIST, 'apps/server/src/main.js');
const MIGRATE_MAIN = path.join(DIST, 'apps/server/src/cli/migrate.js');
const BARE_MAIN = path.join(__dirname, 'bare-app.js');
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// One of each per run: every process a bench starts (server, workers, migrations) must agree on them.
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const SECRET_KEY = randomBytes(32).toString('base64');

const children = new Set();
const tempDirs = [];
const exitTasks = [];
// Keep-alive, as a browser or a portal's HTTP client would be. No socket cap: every load keeps at
// most its concurrency in flight, so a cap (the benches used twice that) never came into play.
const agent = new http.Agent({ keepAlive: true });

// ---------------------------------------------------------------------------------------------
// Console

/** The machine is shared: say so up front when something else is already busy, so noisy figures are read as such. */
function warnIfBusy() {
  const [load1] = os.loadavg();
  if (load1 > 0.5)
    console.log(`WARNING: load average ${load1.toFixed(2)} before the start: something else is running, the figures will be noisy`);
}

/** Plain columns, left-aligned, two spaces apart; a `''` cell is left blank. */
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

/** A Markdown table, preceded by a blank line: the first column left-aligned, the figures right-aligned. */
function printMarkdownTable(header, rows) {
  const cells = rows.map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join(' | ')} |`;
  console.log(`\n${line(header)}`);
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

/** The p-th percentile (0–100) of some latencies in ms, one decimal; `empty` when there are none. */
function percentile(values, p, empty = 'n/a') {
  if (!values.length) return empty;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
}

/** A ratio as a percentage with one decimal, e.g. `83.4%`. */
function percent(ratio) {
  return `${(ratio * 100).toFixed(1)}%`;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** The built server's environment as deployed (Dockerfile): production mode, quiet logs, the run's admin token and key. */
function serverEnv(databaseUrl) {
  return {
    DATABASE_URL: databaseUrl,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
    // Among other things Express then caches compiled views.
    NODE_ENV: 'production',
    PORTICO_SECRET_KEY: SECRET_KEY,
    ...benchRateLimits(),
  };
}

/**
 * The load comes from one address and one tenant: each rate limit stays on (its cost is part of
 * every figure) but far above any load here. A RATE_LIMIT_* variable in the bench's environment
 * replaces its value, e.g. RATE_LIMIT_CHECK_PER_SECOND=0 to measure without the limiter.
 */
function benchRateLimits() {
  const limits = {};
  for (const door of ['API', 'ANONYMOUS', 'CHECK']) {
    limits[`RATE_LIMIT_${door}_PER_SECOND`] = process.env[`RATE_LIMIT_${door}_PER_SECOND`] ?? '1000000';
    limits[`RATE_LIMIT_${door}_BURST`] = process.env[`RATE_LIMIT_${door}_BURST`] ?? '0';
  }
  return limits;
}

/** A fresh SQLite file in `dir` for the server. */
function sqliteUrl(dir, file = 'p.sqlite') {
  return `sqlite:${path.join(dir, file)}`;
}

/**
 * Spawns `node ...args` with PORT set to a free port and waits (30 s at most) until it is ready
 * (`env` may be a function of that port, for settings that name it):
 * `ready` is a path that must answer 200, or a function of (port, child) that says so. Returns the
 * child, its port and how long it took from spawn to ready (cold start).
 *
 * Output goes to `logFile` when given (as a deployed server's would: no pipe back into this
 * load-generating process), otherwise the last few KB are kept in memory; either way
 * child.output() gives them for error messages. Only the environment given is passed, besides
 * PATH, HOME and TMPDIR, so the machine's own settings do not leak into the figures.
 */
async function startProcess(args, env = {}, options = {}) {
  const { ready = '/health', label = path.basename(args.at(-1)), pollMs = 20, logFile, ipc = false, keepBytes = 4000 } = options;
  const port = await freePort();
  const out = logFile ? openSync(logFile, 'w') : 'pipe';
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: os.tmpdir(),
      PORT: String(port),
      ...(typeof env === 'function' ? env(port) : env),
    },
    stdio: ['ignore', out, out, ...(ipc ? ['ipc'] : [])],
  });
  let kept = '';
  if (logFile) {
    closeSync(out);
    child.output = () => readFileSync(logFile, 'utf8').slice(-keepBytes);
  } else {
    const keep = (chunk) => (kept = (kept + chunk).slice(-keepBytes));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.output = () => kept;
  }
  children.add(child);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited.then(() => children.delete(child));

  const isReady = typeof ready === 'string' ? async () => (await getStatus(port, ready)) === 200 : () => ready(port, child);
  const what = typeof ready === 'string' ? ` ${ready}` : '';
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited before it answered:\n${child.output()}`);
    if (await Promise.resolve(isReady()).catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${label} did not answer${what} within 30 s:\n${child.output()}`);
    await sleep(pollMs);
  }
  return { child, port, coldStartMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** The built server (dist/apps/server/src/main.js), ready once /health answers 200. */
function startServer(env, { nodeFlags = [], ...options } = {}) {
  return startProcess([...nodeFlags, SERVER_MAIN], env, { label: 'the server', ...options });
}

/** SIGTERM, so the process shuts down as in production; SIGKILL if it has not after `graceMs`. */
async function stop(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** An unused TCP port on 127.0.0.1 (the OS picks one; the listener is closed before it is handed out). */
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

/** Runs the migration CLI of the build to completion (the benches that start the server with MIGRATE_ON_START=false). */
function migrate(env) {
  return promisify(execFile)(process.execPath, [MIGRATE_MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

/** A new database on the PostgreSQL server of `adminUrl`, dropped when the bench ends. */
async function createPostgresDatabase(adminUrl = PG_URL) {
  const { Client } = require('pg');
  const name = `portico_bench_${randomBytes(5).toString('hex')}`;
  const onAdmin = async (sql) => {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await onAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = () => onAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  atExit(drop);
  return { url: url.toString(), drop };
}

/** CPU seconds (user + system) a process has used so far, all its threads included (Linux /proc). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** A temporary directory, removed when the bench ends. */
function makeTempDir(prefix = 'portico-bench-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Work to do when the bench ends (close a client, drop a database…); run last registered first, after the children are stopped. */
function atExit(task) {
  exitTasks.push(task);
}

async function cleanUp(graceMs) {
  await Promise.all([...children].map((c) => stop(c, graceMs).catch(() => undefined)));
  for (const task of exitTasks.splice(0).reverse())
    await Promise.resolve()
      .then(task)
      .catch(() => undefined);
  agent.destroy();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs a bench's main(). However it ends (done, an error, Ctrl-C, the watchdog), every child is
 * stopped and every clean-up runs, so no server, database or temp dir outlives the run.
 */
function runMain(main, { onError = (err) => console.error(err), watchdogMs, stopGraceMs = 5000 } = {}) {
  const abort = (code) => {
    for (const child of children) child.kill('SIGKILL');
    void cleanUp(0).finally(() => process.exit(code));
  };
  const watchdog =
    watchdogMs &&
    setTimeout(() => {
      console.error(`\nbench: gave up after ${watchdogMs / 60_000} minutes`);
      abort(1);
    }, watchdogMs);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => abort(130));
  return main()
    .catch(async (err) => {
      process.exitCode = 1;
      await onError(err);
    })
    .finally(async () => {
      if (watchdog) clearTimeout(watchdog);
      await cleanUp(stopGraceMs);
    });
}

// ---------------------------------------------------------------------------------------------
// HTTP on 127.0.0.1

/** One request over the keep-alive agent; resolves with status, headers and body text whatever the status. */
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

/** Fixture steps must not fail silently: the response, or an error naming what came back instead. */
async function expectStatus(pending, status) {
  const res = await pending;
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.body.slice(0, 300)}`);
  return res;
}

/** The status of a GET on a fresh connection, 0 when nothing answers within a second: the readiness probe. */
function getStatus(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * A JSON API call (the admin token unless `authorization` says otherwise) on its own connection,
 * for fixtures: the parsed answer, or an error for any status from 300 up.
 */
function call(port, method, urlPath, body, authorization = `Bearer ${ADMIN_TOKEN}`) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        if (res.statusCode >= 300) return reject(new Error(`${method} ${urlPath} answered ${res.statusCode}: ${text}`));
        resolve(text ? JSON.parse(text) : null);
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function sessionCookie(res) {
  const header = [res.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('portico.sid='));
  return header ? header.split(';')[0] : null;
}

/** The login page as a browser loads it: its session cookie and the form's CSRF token. */
async function loginPage(port, pagePath) {
  const page = await request(port, 'GET', pagePath);
  const cookie = sessionCookie(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !cookie || !csrf) throw new Error(`GET ${pagePath} answered ${page.status} without a session or token`);
  return { cookie, csrf };
}

/** The login form posted from a page loaded earlier (`page`, from loginPage); `ms` is the POST's latency. */
async function postLogin(port, pagePath, page, login, password) {
  const form = new URLSearchParams({ _csrf: page.csrf, login, password }).toString();
  const t0 = process.hrtime.bigint();
  const res = await request(port, 'POST', pagePath, form, { cookie: page.cookie, 'content-type': 'application/x-www-form-urlencoded' });
  return { res, ms: elapsedMs(t0) };
}

/**
 * What a browser does to sign in with a password: GET the page (a session and its CSRF token), then
 * POST the form with that cookie and token. Only the POST is timed (`ms`): the GET is the page a
 * person loads before typing.
 */
async function passwordSignIn(port, pagePath, login, password) {
  return postLogin(port, pagePath, await loginPage(port, pagePath), login, password);
}

/** Whether a sign-in ended where a signed-in person lands. */
function signedIn(res) {
  return res.status === 303 && res.headers.location === '/account';
}

// ---------------------------------------------------------------------------------------------
// Loads

function elapsedMs(since) {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/**
 * A closed loop: `concurrency` clients, each calling `once()` back to back until `seconds` have
 * passed (a bounded load: at most `concurrency` requests in flight, whatever the server's pace).
 * `once` resolves with { ok, why?, ms? }: `why` names a failure (the first is kept), `ms` is the
 * latency to record when not the whole call's, `ms: null` records none.
 */
async function closedLoop(concurrency, seconds, once) {
  const end = Date.now() + seconds * 1000;
  const result = { ok: 0, failed: 0, firstFailure: null, latencies: [] };
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const r = await once();
        const ms = r.ms === undefined ? elapsedMs(t0) : r.ms;
        if (ms !== null) result.latencies.push(ms);
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

module.exports = {
  ROOT,
  DIST,
  SERVER_MAIN,
  BARE_MAIN,
  PG_URL,
  ADMIN_TOKEN,
  SECRET_KEY,
  warnIfBusy,
  printTable,
  printMarkdownTable,
  percentile,
  percent,
  serverEnv,
  benchRateLimits,
  sqliteUrl,
  startProcess,
  startServer,
  stop,
  freePort,
  migrate,
  createPostgresDatabase,
  cpuSeconds,
  makeTempDir,
  atExit,
  runMain,
  request,
  expectStatus,
  getStatus,
  call,
  sessionCookie,
  loginPage,
  postLogin,
  passwordSignIn,
  signedIn,
  closedLoop,
  sleep,
};
