'use strict';
// `npm run bench:external-login`: builds, then measures both directions of external login on the
// built server (SQLite, NODE_ENV=production, LOG_LEVEL=warn), in one run:
//
//   1. Portico as a provider: POST /external-login logins/s, beside the raw argon2id verification
//      rate of this machine (m=19456, t=2, p=1: what every such login costs at least).
//   2. Portico delegating: sign-ins/s on POST /login for members of a site whose provider is a
//      local HTTPS server, beside direct calls to that same provider (a new TLS connection per call,
//      as Portico makes them, and over keep-alive for reference). Each sign-in is what a browser
//      does: GET /login (session and CSRF token), then the POST; latencies are the POST's alone.
//
// Everything runs on 127.0.0.1: the server and the provider as child processes, the load generator
// in this process. Bounded: each load runs BENCH_WARMUP + BENCH_DURATION seconds with
// BENCH_CONCURRENCY requests in flight; the loads compared run in alternating slices. The provider's certificate comes from a CA made with the
// openssl command line for this run only.
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const {
  ADMIN_TOKEN,
  SERVER_MAIN,
  atExit,
  closedLoop,
  makeTempDir,
  passwordSignIn,
  percentile,
  printTable,
  request,
  runMain,
  serverEnv,
  signedIn,
  sqliteUrl,
  startProcess,
  startServer,
  warnIfBusy,
} = require('./support');

const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? Math.max(4, CORES * 2));
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2);
const USERS = 40;
const PASSWORD = 'Bench-Heron-64-quay';
const ACCESS_TOKEN = randomBytes(18).toString('base64url');
const PROVIDER_TOKEN = randomBytes(18).toString('base64url');

if (process.argv[2] === 'provider') runProvider();
else runMain(main);

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:external-login` (it builds first)');
  const argon2 = require('argon2');
  console.log(
    `Portico external-login benchmark — node ${process.version}, ${CORES} × ${os.cpus()[0]?.model ?? 'CPU'}, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4}`,
  );
  console.log(
    `${CONCURRENCY} requests in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per load, SQLite, NODE_ENV=production, LOG_LEVEL=warn, 127.0.0.1 only`,
  );
  warnIfBusy();
  console.log('');

  const dir = makeTempDir('portico-bench-external-');
  const pki = makePki(dir);

  const provider = await startProcess(
    [path.join(__dirname, 'external-login.js'), 'provider'],
    { BENCH_PKI_DIR: dir, BENCH_PROVIDER_TOKEN: PROVIDER_TOKEN },
    { label: 'the provider', ready: async (port) => (await providerCount(port)).status === 200 },
  );
  atExit(() => tlsAgent?.destroy());
  const server = await startServer({
    ...serverEnv(sqliteUrl(dir)),
    ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
  });
  const fixture = await prepare(server.port, provider.port, pki.ca);

  // 1. Portico as a provider, beside raw argon2 verifications in this process.
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  const verify = async () => {
    if (!(await argon2.verify(hash, PASSWORD))) throw new Error('argon2.verify refused the right password');
    return { ok: true };
  };
  let next = 0;
  const endpointOnce = async () => {
    const username = fixture.members[next++ % fixture.members.length];
    const res = await request(
      server.port,
      'POST',
      '/external-login',
      JSON.stringify({ site_id: fixture.siteId, username, password: PASSWORD }),
      {
        'content-type': 'application/json',
        'x-access-token': ACCESS_TOKEN,
      },
    );
    return loginAnswer(res);
  };
  const [raw, endpoint] = await measurePair(['raw argon2id verify', verify], ['POST /external-login', endpointOnce]);

  // 2. Delegation, beside direct calls to the same provider.
  const providerBody = () =>
    JSON.stringify({
      site_id: fixture.delegatedSiteId,
      username: fixture.delegated[next++ % fixture.delegated.length],
      password: PASSWORD,
    });
  const providerHeaders = { 'content-type': 'application/json', 'x-access-token': PROVIDER_TOKEN };
  const freshOnce = async () => {
    const res = await httpsRequest(provider.port, pki.ca, providerBody(), providerHeaders, false);
    return loginAnswer(res);
  };
  const keepAliveOnce = async () => {
    const res = await httpsRequest(provider.port, pki.ca, providerBody(), providerHeaders, true);
    return loginAnswer(res);
  };
  const delegatedOnce = async () => {
    const username = fixture.delegated[next++ % fixture.delegated.length];
    const { res, ms } = await passwordSignIn(server.port, '/login', username, PASSWORD);
    return signedIn(res) ? { ok: true, ms } : failure(res);
  };
  const [fresh, delegated] = await measurePair(
    ['provider, new TLS connection per call', freshOnce],
    ['POST /login (delegated)', delegatedOnce],
  );
  const [keepAlive] = await measurePair(
    ['provider, keep-alive', keepAliveOnce],
    ['provider, new TLS connection per call (again)', freshOnce],
  );
  const calls = await providerCount(provider.port);

  const rows = [
    ['raw argon2id verifications/s (this process)', rate(raw), ''],
    ['POST /external-login logins/s', rate(endpoint), `${pct(endpoint.rate / raw.rate)} of raw argon2`],
    ['direct provider calls/s, new TLS connection each', rate(fresh), ''],
    ['direct provider calls/s, keep-alive', rate(keepAlive), ''],
    ['delegated sign-ins/s (POST /login)', rate(delegated), `${pct(delegated.rate / fresh.rate)} of direct calls (new connection)`],
  ];
  printTable(['measure', 'value', 'compared'], rows);
  console.log('');
  for (const m of [raw, endpoint, fresh, keepAlive, delegated]) {
    console.log(
      `${m.name}: ${m.ok} ok, ${m.failed} other in ${m.seconds.toFixed(1)} s; latency p50 ${percentile(m.latencies, 50)} ms, p99 ${percentile(m.latencies, 99)} ms${m.firstFailure ? `; first failure: ${m.firstFailure}` : ''}`,
    );
  }
  console.log(`provider answered ${JSON.parse(calls.body).count} calls in all`);
}

// ---------------------------------------------------------------------------------------------
// Loads

const SLICES = 3;

/**
 * Two loads measured in alternating slices after a warm-up each, so a neighbour's burst of CPU on
 * a shared machine lands on both sides of the comparison rather than on one.
 */
async function measurePair([nameA, onceA], [nameB, onceB]) {
  await loop(onceA, WARMUP_S);
  await loop(onceB, WARMUP_S);
  const totals = [newTotal(nameA), newTotal(nameB)];
  for (let i = 0; i < SLICES; i++) {
    for (const [total, once] of [
      [totals[0], onceA],
      [totals[1], onceB],
    ]) {
      const r = await loop(once, DURATION_S / SLICES);
      total.ok += r.ok;
      total.failed += r.failed;
      total.firstFailure ??= r.firstFailure;
      total.latencies.push(...r.latencies);
      total.seconds += r.seconds;
    }
  }
  for (const t of totals) t.rate = t.ok / t.seconds;
  return totals;
}

function newTotal(name) {
  return { name, ok: 0, failed: 0, firstFailure: null, latencies: [], seconds: 0, rate: 0 };
}

/** A failed attempt: not timed, so the latencies are those of successful logins only. */
function failure(res) {
  return { ok: false, ms: null, why: `${res.status} ${res.body.slice(0, 200)}` };
}

/** The reference contract's answer to a good login. */
function loginAnswer(res) {
  return res.status === 200 && JSON.parse(res.body).login_successful === true ? { ok: true } : failure(res);
}

function loop(once, seconds) {
  return closedLoop(CONCURRENCY, seconds, once);
}

// ---------------------------------------------------------------------------------------------
// Fixture: a site answering as Portico, and a site delegating to the local provider

async function prepare(port, providerPort, ca) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const call = async (method, urlPath, body, status) => {
    const res = await request(port, method, urlPath, body === undefined ? undefined : JSON.stringify(body), admin);
    if (res.status !== status) throw new Error(`${method} ${urlPath}: expected ${status}, got ${res.status}: ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body || '{}');
  };
  // Lockout stays on, as in production; nothing here fails, so it never triggers.
  await call('PUT', '/api/v1/settings/authentication', { methods: { password: true, saml: false, ldap: false, external: true } }, 200);
  await call('PUT', '/api/v1/settings/external-login', { enabled: true, accessToken: ACCESS_TOKEN, allowedIps: ['127.0.0.1', '::1'] }, 200);
  const site = await call('POST', '/api/v1/organizations', { name: 'Bench site' }, 201);
  const provider = await call(
    'POST',
    '/api/v1/external-login-providers',
    {
      name: 'Bench provider',
      url: `https://127.0.0.1:${providerPort}/login`,
      accessToken: PROVIDER_TOKEN,
      caCertificate: ca,
      allowPrivateNetwork: true,
    },
    201,
  );
  const delegatedSite = await call(
    'POST',
    '/api/v1/organizations',
    { name: 'Bench delegated site', authMode: 'external', externalLoginProviderId: provider.id },
    201,
  );
  const members = [];
  const delegated = [];
  for (let i = 0; i < USERS; i++) {
    await call(
      'POST',
      '/api/v1/users',
      { email: `bench-${i}@heron.example`, username: `bench-${i}`, password: PASSWORD, organizationId: site.id },
      201,
    );
    members.push(`bench-${i}`);
    await call(
      'POST',
      '/api/v1/users',
      { email: `delegated-${i}@heron.example`, username: `delegated-${i}`, organizationId: delegatedSite.id },
      201,
    );
    delegated.push(`delegated-${i}`);
  }
  return { siteId: site.siteId, delegatedSiteId: delegatedSite.siteId, members, delegated };
}

/** A CA and a certificate for 127.0.0.1, made for this run only. */
function makePki(dir) {
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=bench CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  writeFileSync(path.join(dir, 'server.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    'server.crt',
    '-extfile',
    'server.ext',
  );
  return { ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8') };
}

// ---------------------------------------------------------------------------------------------
// The local provider (this file, run as `node bench/external-login.js provider`)

/** The reference contract, as cheap as a provider can be: it knows every delegated-N user. */
function runProvider() {
  const dir = process.env.BENCH_PKI_DIR;
  const token = process.env.BENCH_PROVIDER_TOKEN;
  let count = 0;
  const server = https.createServer(
    { key: readFileSync(path.join(dir, 'server.key')), cert: readFileSync(path.join(dir, 'server.crt')) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        let body = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = {};
        }
        if (req.url === '/count') return res.end(JSON.stringify({ count }));
        count += 1;
        const ok = req.headers['x-access-token'] === token && /^delegated-\d+$/.test(body.username) && body.password === PASSWORD;
        res.end(
          JSON.stringify(
            ok
              ? {
                  login_successful: true,
                  username: body.username,
                  email_address: `${body.username}@heron.example`,
                  is_site_administrator: false,
                }
              : { login_successful: false, reason: 'Invalid login' },
          ),
        );
      });
    },
  );
  server.keepAliveTimeout = 5000;
  server.listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// Helpers

let tlsAgent = null;

/** The provider's call count (over TLS, not checking its certificate: it is only this bench's own counter). */
function providerCount(port) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method: 'GET', path: '/count', rejectUnauthorized: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A call to the provider as a client that trusts only the run's CA, on a new connection or a kept-alive one. */
function httpsRequest(port, ca, body, headers, keepAlive) {
  tlsAgent ??= new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2, ca });
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/login', ca, agent: keepAlive ? tlsAgent : false, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function rate(m) {
  return `${m.rate.toFixed(1)}/s`;
}

function pct(ratio) {
  return `${(ratio * 100).toFixed(0)} %`;
}
