'use strict';
// `npm run bench:ldap`: builds, then measures LDAP sign-ins per second through POST /t/{tenant}/login
// on the built server (SQLite) against a local OpenLDAP slapd over LDAPS, beside the raw rate of the
// same directory exchange done directly (connect + TLS, service bind, search, bind as the user) with
// Portico's own client, and that exchange over plain ldap:// to show what TLS costs.
//
// slapd is started the way the tests start it (test/support/slapd.ts: temporary directory, mdb,
// TLS from a CA made for the run, 127.0.0.1 only) and stopped at the end. Each sign-in is what a
// browser does: GET the sign-in page (session + CSRF token), then POST it; only the POST is timed.
// BENCH_DURATION / BENCH_WARMUP (seconds) and BENCH_CONCURRENCY change the load.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const Module = require('node:module');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { clearTimeout, setTimeout } = require('node:timers');
const { URLSearchParams } = require('node:url');

const ROOT = path.resolve(__dirname, '..');
const SERVER_MAIN = path.join(ROOT, 'dist/apps/server/src/main.js');
const CLIENT = path.join(ROOT, 'dist/libs/sso/src/ldap/client/directory-client.js');
const PRESETS = path.join(ROOT, 'dist/libs/sso/src/ldap/config/presets.js');
const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? Math.max(4, CORES * 2));
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2);
const USERS = 40;
const PASSWORD = 'Bench-Directory-64-ridge';
const TENANT = 'bench-ldap';

const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
let server = null;
let slapd = null;
let dataDir = null;

/** test/support/slapd.ts (node built-ins only), compiled in memory: the benchmark runs the tests' own harness. */
function loadSlapdHarness() {
  const ts = require('typescript');
  const file = path.join(ROOT, 'test/support/slapd.ts');
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  m._compile(outputText, file);
  return m.exports;
}

async function main() {
  for (const f of [SERVER_MAIN, CLIENT])
    if (!existsSync(f)) throw new Error('dist/ is missing: run `npm run bench:ldap` (it builds first)');
  const harness = loadSlapdHarness();
  if (!harness.slapdPresent('bench:ldap')) return;
  const cpus = os.cpus();
  console.log(`Portico LDAP benchmark — node ${process.version}, ${CORES} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `${CONCURRENCY} exchanges in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per load, SQLite, NODE_ENV=production, LOG_LEVEL=warn, OpenLDAP ${slapdVersion()} on 127.0.0.1, load generator in this process`,
  );
  const [load1] = os.loadavg();
  if (load1 > 0.5)
    console.log(`WARNING: load average ${load1.toFixed(2)} before the start: something else is running, the figures will be noisy`);
  console.log('');

  const users = Array.from({ length: USERS }, (_, i) => ({
    uid: `bench${i}`,
    password: PASSWORD,
    givenName: 'Bench',
    sn: `User ${i}`,
    mail: `bench${i}@directory.example`,
  }));
  const staff = { cn: 'staff', members: users.map((u) => harness.userDn(u)) };
  slapd = await harness.Slapd.start({ users, groups: [staff], statsLog: false });
  const settings = (url, tls) => ({
    url,
    bindDn: harness.SERVICE_DN,
    bindPassword: slapd.servicePassword,
    searchBase: `ou=people,${harness.SUFFIX}`,
    searchFilter: require(PRESETS).PRESET_DEFAULTS.openldap.searchFilter,
    startTls: false,
    caCertificate: tls ? slapd.pki.ca : null,
    attributeMapping: require(PRESETS).PRESET_DEFAULTS.openldap.attributeMapping,
    groupSearchBase: null,
    groupSearchFilter: require(PRESETS).PRESET_DEFAULTS.openldap.groupSearchFilter,
    groupRoleMapping: { [harness.groupDn(staff)]: 'member' },
    timeoutMs: 5000,
  });

  // Raw exchanges first, with the server not yet started.
  const { DirectoryClient } = require(CLIENT);
  const client = new DirectoryClient();
  const ldaps = settings(slapd.ldapsUrl, true);
  const plain = settings(slapd.ldapUrl, false);
  await rawLoop(client, ldaps, users, WARMUP_S);
  const raw = await rawLoop(client, ldaps, users, DURATION_S, true);
  await rawLoop(client, plain, users, WARMUP_S);
  const rawPlain = await rawLoop(client, plain, users, DURATION_S, true);

  dataDir = mkdtempSync(path.join(os.tmpdir(), 'portico-bench-ldap-'));
  server = await startServer(dataDir);
  await configure(server.port, ldaps);
  // Every user signs in once (JIT: the account, the links, the membership), then the measured sign-ins reuse them.
  for (const u of users) {
    const res = await signIn(server.port, u.uid);
    if (res.status !== 303) throw new Error(`the first sign-in of ${u.uid} answered ${res.status}: ${res.body.slice(0, 300)}`);
  }
  await loginLoop(server.port, users, WARMUP_S);
  const before = { server: cpuSeconds(server.child.pid), slapd: cpuSeconds(slapd.pid) };
  const measured = await loginLoop(server.port, users, DURATION_S);
  const serverCpu = cpuSeconds(server.child.pid) - before.server;
  const slapdCpu = cpuSeconds(slapd.pid) - before.slapd;
  await stop(server.child);

  const rate = (r) => r.ok / r.seconds;
  console.log(
    `raw exchange over LDAPS: ${raw.ok} in ${raw.seconds.toFixed(1)} s, p50 ${pct(raw.latencies, 50)} ms, p99 ${pct(raw.latencies, 99)} ms`,
  );
  console.log(
    `raw exchange over plain ldap://: ${rawPlain.ok} in ${rawPlain.seconds.toFixed(1)} s, p50 ${pct(rawPlain.latencies, 50)} ms, p99 ${pct(rawPlain.latencies, 99)} ms`,
  );
  console.log(
    `POST /t/${TENANT}/login: ${measured.ok} signed in (303 → /account), ${measured.failed} other answers, in ${measured.seconds.toFixed(1)} s; p50 ${pct(measured.latencies, 50)} ms, p99 ${pct(measured.latencies, 99)} ms`,
  );
  console.log(
    `CPU during the measured sign-ins: server ${(serverCpu / measured.seconds).toFixed(2)} cores (${((serverCpu / Math.max(1, measured.ok)) * 1000).toFixed(1)} ms per sign-in), slapd ${(slapdCpu / measured.seconds).toFixed(2)} cores`,
  );
  console.log('');
  printTable(
    ['measure', 'per second', 'share of raw LDAPS'],
    [
      [
        'raw exchange, plain ldap:// (bind + search + bind + groups)',
        rate(rawPlain).toFixed(1),
        `${((rate(rawPlain) / rate(raw)) * 100).toFixed(0)} %`,
      ],
      ['raw exchange, LDAPS (the same, over TLS)', rate(raw).toFixed(1), '100 %'],
      ['LDAP sign-ins through Portico (LDAPS)', rate(measured).toFixed(1), `${((rate(measured) / rate(raw)) * 100).toFixed(0)} %`],
    ],
  );
  if (measured.failed > 0)
    console.log(`\nNOTE: ${measured.failed} sign-ins did not end in 303 → /account (first: ${measured.firstFailure})`);
}

// ---------------------------------------------------------------------------------------------
// The loads

/** `CONCURRENCY` workers doing what one sign-in asks of the directory, with Portico's client, directly. */
async function rawLoop(client, settings, users, seconds, timed = false) {
  const end = Date.now() + seconds * 1000;
  let next = 0;
  const result = { ok: 0, latencies: [] };
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const user = users[next++ % users.length];
        const t0 = process.hrtime.bigint();
        const groups = await client.run(settings, async (session) => {
          const entry = await session.findUser(user.uid);
          if (!entry || !(await session.checkPassword(entry.dn, PASSWORD))) throw new Error(`${user.uid} was refused`);
          return session.groupsOf(entry);
        });
        if (!groups.length) throw new Error(`${user.uid} has no groups`);
        if (timed) result.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        result.ok += 1;
      }
    }),
  );
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return result;
}

/** `CONCURRENCY` browsers signing in over and over, round-robin over the users. */
async function loginLoop(port, users, seconds) {
  const end = Date.now() + seconds * 1000;
  let next = 0;
  const result = { ok: 0, failed: 0, firstFailure: null, latencies: [] };
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const res = await signIn(port, users[next++ % users.length].uid, result.latencies);
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

async function signIn(port, login, latencies) {
  const pagePath = `/t/${TENANT}/login`;
  const page = await request(port, 'GET', pagePath);
  const cookie = sessionCookie(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !cookie || !csrf) throw new Error(`GET ${pagePath} answered ${page.status} without a session or token`);
  const form = new URLSearchParams({ _csrf: csrf, login, password: PASSWORD }).toString();
  const t0 = process.hrtime.bigint();
  const res = await request(port, 'POST', pagePath, form, { cookie, 'content-type': 'application/x-www-form-urlencoded' });
  latencies?.push(Number(process.hrtime.bigint() - t0) / 1e6);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Server and fixture

async function startServer(dir) {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: os.tmpdir(),
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(dir, 'p.sqlite')}`,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      PORTICO_SECRET_KEY: randomBytes(32).toString('base64'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
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

/** A tenant with LDAP on, its directory over LDAPS with JIT and one mapped group, and an organization for that group. */
async function configure(port, directory) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const call = (method, urlPath, body, status) => expectStatus(request(port, method, urlPath, JSON.stringify(body), admin), status);
  await call(
    'PUT',
    '/api/v1/settings/authentication',
    { methods: { password: true, saml: false, ldap: true, external: false }, lockout: { maxPasswordFailures: 100 } },
    200,
  );
  await call('POST', '/api/v1/tenants', { key: TENANT, name: 'LDAP bench' }, 201);
  await call('POST', '/api/v1/organizations', { name: 'Staff', tenantKey: TENANT, externalUid: 'staff' }, 201);
  const { groupRoleMapping, url, bindDn, bindPassword, searchBase, caCertificate } = directory;
  await call(
    'POST',
    '/api/v1/ldap-directories',
    {
      tenantKey: TENANT,
      name: 'Bench directory',
      url,
      bindDn,
      bindPassword,
      searchBase,
      caCertificate,
      groupRoleMapping,
      jitProvisioning: true,
    },
    201,
  );
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

function slapdVersion() {
  // slapd -VV prints its version on stderr.
  const { stdout, stderr } = require('node:child_process').spawnSync('/usr/sbin/slapd', ['-VV'], { encoding: 'utf8' });
  return /slapd ([\d.]+)/.exec(`${stdout}${stderr}`)?.[1] ?? '?';
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
  if (server) await stop(server.child).catch(() => undefined);
  if (slapd) await slapd.stop().catch(() => undefined);
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
