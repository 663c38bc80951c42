'use strict';
// `npm run bench:oidc`: builds, then measures Portico as an OpenID Connect provider on the built
// server, beside the bare NestJS-on-Express route, on SQLite and then on a throw-away PostgreSQL
// database, in one run:
//  - client_credentials grants/s (POST to the token endpoint, client_secret_basic);
//  - refresh grants/s, rotation included: CHAINS chains in parallel, each a separate sign-in whose
//    next request presents the refresh token the previous answer returned (a wrk thread per chain);
//  - authorization-code round trips/s: the authorization request of a browser that already has a
//    session (SSO, no page on the way) → the code at the redirect URI → the code at the token endpoint;
//  - userinfo/s with an access token of the organizations scope.
// For each: requests/s, the server's CPU time per grant read from /proc, and so grants per second per
// core of server CPU (and PostgreSQL's CPU per grant, where it serves). Plain HTTP on 127.0.0.1: no TLS.
//
// BENCH_DURATION / BENCH_WARMUP (seconds) change the windows; BENCH_PG_URL (or TEST_DATABASE_URL)
// names the PostgreSQL server where a database is created and dropped; BENCH_SKIP_PG=1 measures
// SQLite only; BENCH_SERVER=<path to main.js> measures another build; BENCH_NODE_FLAGS (e.g.
// `--cpu-prof --cpu-prof-dir=/tmp/prof`) are given to the server.
const { createHash, randomBytes } = require('node:crypto');
const { execFile } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { URLSearchParams } = require('node:url');
const { promisify } = require('node:util');
const {
  BARE_MAIN,
  ROOT,
  SERVER_MAIN: BUILT_MAIN,
  call,
  closedLoop,
  cpuSeconds,
  createPostgresDatabase,
  makeTempDir,
  printMarkdownTable,
  request,
  runMain,
  serverEnv,
  sqliteUrl,
  startProcess,
  stop,
  warnIfBusy,
} = require('./support');
const { requireWrk, wrkLoad } = require('./wrk');

const SERVER_MAIN = process.env.BENCH_SERVER ? path.resolve(process.env.BENCH_SERVER) : BUILT_MAIN;
const PG_URL = process.env.BENCH_PG_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const CONNECTIONS = 50;
// Refresh chains and code-flow browsers: each is sequential by nature, so parallelism is their number.
const CHAINS = 16;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const TARGET_PER_CORE = 500;
// BENCH_LOADS=cc,refresh measures only those (bare, cc, refresh, code, userinfo), e.g. to profile one.
const LOADS = process.env.BENCH_LOADS?.split(',');
const REDIRECT = 'http://127.0.0.1:9/callback';
const PASSWORD = 'bench password for oidc 42';
const SCOPE = 'openid profile email organizations';

async function main() {
  if (!existsSync(SERVER_MAIN))
    throw new Error(`${path.relative(ROOT, SERVER_MAIN)} is missing: run \`npm run bench:oidc\` (it builds first)`);
  requireWrk();
  const cpus = os.cpus();
  console.log(`Portico OpenID Connect provider benchmark — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `plain HTTP on 127.0.0.1 (no TLS), server LOG_LEVEL=warn; ${WARMUP_S} s warm-up + ${DURATION_S} s per load; ` +
      `wrk at ${CONNECTIONS} connections (refresh: ${CHAINS} chains), code round trips from ${CHAINS} browsers in this process`,
  );
  warnIfBusy();

  const kinds = process.env.BENCH_KINDS?.split(',') ?? (process.env.BENCH_SKIP_PG === '1' ? ['sqlite'] : ['sqlite', 'postgres']);
  const scratch = makeTempDir('portico-bench-oidc-');
  const results = [];
  const bare = await startProcess([...NODE_FLAGS, BARE_MAIN], {}, { ready: '/bare', label: 'the bare app' });
  for (const kind of kinds) {
    console.log(`\n— ${kind} —`);
    const url = kind === 'sqlite' ? sqliteUrl(scratch, 'oidc.sqlite') : (await createPostgresDatabase(PG_URL)).url;
    const server = await startProcess(
      [...NODE_FLAGS, SERVER_MAIN],
      (port) => ({ ...serverEnv(url), MIGRATE_ON_START: 'true', PUBLIC_URL: `http://127.0.0.1:${port}` }),
      { label: 'the server', logFile: path.join(scratch, `server-${kind}.log`) },
    );
    const f = await fixture(server.port);
    const rows = [];
    const measure = async (key, name, run, pid = server.child.pid) => {
      if (LOADS && !LOADS.includes(key)) return null;
      process.stdout.write(`${name}: warm-up … `);
      await run(WARMUP_S);
      const before = { app: cpuSeconds(pid), db: kind === 'postgres' ? postgresCpuSeconds() : 0 };
      const r = await run(DURATION_S);
      const appCpu = cpuSeconds(pid) - before.app;
      // PostgreSQL's CPU counts only where it serves the load (not for the bare route).
      const dbCpu = kind === 'postgres' && pid === server.child.pid ? postgresCpuSeconds() - before.db : null;
      const row = { name: `${name}, ${kind}`, ...r, cpuUs: (appCpu * 1e6) / r.ok, dbUs: dbCpu === null ? null : (dbCpu * 1e6) / r.ok };
      console.log(`${Math.round(row.rps)}/s, CPU ${Math.round(row.cpuUs)} µs each${r.failed ? `, ${r.failed} FAILED` : ''}`);
      rows.push(row);
      return row;
    };

    // The bare route runs in its own process: its CPU, not the server's, is the figure.
    await measure(
      'bare',
      'bare Nest route (GET /bare)',
      (seconds) => wrk(scratch, { url: `http://127.0.0.1:${bare.port}/bare`, seconds }),
      bare.child.pid,
    );
    const token = f.discovery.token_endpoint;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cc = await measure('cc', 'client_credentials grant', (seconds) =>
      wrk(scratch, {
        url: token,
        seconds,
        method: 'POST',
        headers: { authorization: f.ccAuth, ...form },
        body: 'grant_type=client_credentials',
      }),
    );
    const refresh = await measure('refresh', 'refresh grant (rotated)', async (seconds) => {
      const tokens = [];
      for (let i = 0; i < CHAINS; i++) tokens.push(await offlineGrant(server.port, f));
      return refreshChains(scratch, token, f, tokens, seconds);
    });
    const code = await measure('code', 'authorization-code round trip (SSO)', async (seconds) => {
      // One after the other: the sign-in throttle holds concurrent attempts at one account back.
      const browsers = [];
      for (let i = 0; i < CHAINS; i++) browsers.push(await signedInBrowser(server.port, f));
      // Each browser does one round trip at a time, as a person would.
      return loopResult(
        await closedLoop(CHAINS, seconds, async () => {
          const browser = browsers.pop();
          try {
            return await codeRoundTrip(server.port, f, browser);
          } finally {
            browsers.push(browser);
          }
        }),
      );
    });
    await measure('userinfo', 'userinfo', (seconds) =>
      wrk(scratch, { url: f.discovery.userinfo_endpoint, seconds, headers: { authorization: `Bearer ${f.accessToken}` } }),
    );
    await stop(server.child);
    results.push({ kind, rows, cc, refresh, code });
  }
  await stop(bare.child);

  printMarkdownTable(
    ['load (no TLS)', 'per s', 'server CPU µs each', 'per s per core of server CPU', 'PostgreSQL CPU µs each', 'failed'],
    results.flatMap((r) =>
      r.rows.map((row) => [
        row.name,
        Math.round(row.rps),
        Math.round(row.cpuUs),
        Math.round(1e6 / row.cpuUs),
        row.dbUs === null ? '—' : Math.round(row.dbUs),
        row.failed,
      ]),
    ),
  );
  console.log(
    '(server CPU: user + system time of the server process over the measured window per grant; for the bare route its own process)',
  );
  console.log(`\nTarget: ≥ ${TARGET_PER_CORE} grants per second per core of server CPU, without TLS`);
  let invalid = false;
  for (const r of results) {
    for (const [label, row] of [
      ['client_credentials', r.cc],
      ['refresh', r.refresh],
    ]) {
      if (!row) continue;
      const perCore = 1e6 / row.cpuUs;
      console.log(
        `  ${perCore >= TARGET_PER_CORE ? 'PASS' : 'MISS'}  ${`${r.kind.padEnd(8)} ${label}`.padEnd(30)} ${Math.round(perCore)}/s per core`,
      );
    }
    if (r.rows.some((row) => row.failed)) invalid = true;
  }
  if (invalid) {
    console.log('\nINVALID: failed requests during a load (see above)');
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Fixture: a tenant, a user in an organization, a first-party client for the code flow and one for
// client_credentials, and an access token for userinfo.

async function fixture(port) {
  const tenantKey = `bench-${randomBytes(3).toString('hex')}`;
  await call(port, 'POST', '/api/v1/tenants', { key: tenantKey, name: 'Bench tenant' });
  const org = await call(port, 'POST', '/api/v1/organizations', { name: 'Bench org', tenantKey, externalUid: 'grp-1' });
  const email = `oidc-bench-${randomBytes(3).toString('hex')}@example.com`;
  await call(port, 'POST', '/api/v1/users', {
    email,
    password: PASSWORD,
    firstName: 'Bench',
    lastName: 'User',
    tenantKey,
    organizationId: org.id,
    role: 'member',
  });
  const app = await call(port, 'POST', '/api/v1/oidc/clients', {
    name: 'Bench app',
    tenantKey,
    firstParty: true,
    redirectUris: [REDIRECT],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'organizations', 'offline_access'],
  });
  const service = await call(port, 'POST', '/api/v1/oidc/clients', {
    name: 'Bench service',
    tenantKey,
    redirectUris: [],
    grantTypes: ['client_credentials'],
  });
  const discovery = JSON.parse((await request(port, 'GET', '/oidc/.well-known/openid-configuration')).body);
  const f = {
    tenantKey,
    email,
    discovery,
    clientId: app.clientId,
    appAuth: basicAuth(app.clientId, app.clientSecret),
    ccAuth: basicAuth(service.clientId, service.clientSecret),
  };
  // Every load is checked once before it is measured, so a broken flow fails here, not as noise.
  const browser = await signedInBrowser(port, f);
  const trip = await codeRoundTrip(port, f, browser);
  if (!trip.ok) throw new Error(`the authorization-code round trip failed: ${trip.why}`);
  f.accessToken = trip.accessToken;
  const info = await request(port, 'GET', pathOf(discovery.userinfo_endpoint), undefined, { authorization: `Bearer ${f.accessToken}` });
  if (info.status !== 200 || !JSON.parse(info.body).organizations) throw new Error(`userinfo answered ${info.status}: ${info.body}`);
  const cc = await request(port, 'POST', pathOf(discovery.token_endpoint), 'grant_type=client_credentials', {
    authorization: f.ccAuth,
    'content-type': 'application/x-www-form-urlencoded',
  });
  if (cc.status !== 200) throw new Error(`client_credentials answered ${cc.status}: ${cc.body}`);
  return f;
}

function basicAuth(id, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

function pathOf(url) {
  const u = new URL(url);
  return u.pathname + u.search;
}

// ---------------------------------------------------------------------------------------------
// A browser: a cookie jar (by name; the flows here never need two cookies of one name at once)
// following redirects on 127.0.0.1 until it reaches the application's redirect URI.

class Browser {
  constructor(port) {
    this.port = port;
    this.cookies = new Map();
  }

  async fetch(method, urlPath, body, headers = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await request(this.port, method, urlPath, body, { ...headers, ...(cookie ? { cookie } : {}) });
    for (const line of [res.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects from `start`; the URL at the application, or an error naming where it stopped. */
  async follow(start) {
    let url = new URL(start, `http://127.0.0.1:${this.port}`);
    for (let hop = 0; hop < 10; hop++) {
      if (url.toString().startsWith(REDIRECT)) return url;
      const res = await this.fetch('GET', url.pathname + url.search);
      if (res.status < 300 || res.status >= 400) throw new Error(`stopped at ${url.pathname} (${res.status}): ${res.body.slice(0, 200)}`);
      url = new URL(res.headers.location, url);
    }
    throw new Error('too many redirects');
  }
}

/** A browser signed in to Portico on the tenant's page, so authorization requests are single sign-on. */
async function signedInBrowser(port, f) {
  const b = new Browser(port);
  const page = `/t/${f.tenantKey}/login`;
  const form = await b.fetch('GET', page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  const posted = await b.fetch('POST', page, new URLSearchParams({ _csrf: csrf ?? '', login: f.email, password: PASSWORD }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  if (posted.status !== 303) throw new Error(`sign-in answered ${posted.status}`);
  return b;
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(f, challenge, extra = {}) {
  const u = new URL(f.discovery.authorization_endpoint);
  const params = {
    client_id: f.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: SCOPE,
    state: randomBytes(8).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

async function redeem(port, f, code, verifier) {
  return request(
    port,
    'POST',
    pathOf(f.discovery.token_endpoint),
    new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    { authorization: f.appAuth, 'content-type': 'application/x-www-form-urlencoded' },
  );
}

/**
 * One round trip of an application whose user already has a session: the authorization request
 * (straight back to the application with a code, after the first one), then the code redeemed.
 */
async function codeRoundTrip(port, f, browser) {
  try {
    const { verifier, challenge } = pkce();
    const back = await browser.follow(authorizationUrl(f, challenge));
    const code = back.searchParams.get('code');
    if (!code) return { ok: false, why: `no code: ${back.search}` };
    const res = await redeem(port, f, code, verifier);
    if (res.status !== 200) return { ok: false, why: `token endpoint answered ${res.status}: ${res.body.slice(0, 200)}` };
    const tokens = JSON.parse(res.body);
    return { ok: Boolean(tokens.id_token), why: 'no ID token', accessToken: tokens.access_token };
  } catch (err) {
    return { ok: false, why: err.message };
  }
}

/** A refresh token of a grant of its own (a sign-in of its own), so the chains never share a grant. */
async function offlineGrant(port, f) {
  const browser = await signedInBrowser(port, f);
  const { verifier, challenge } = pkce();
  const back = await browser.follow(authorizationUrl(f, challenge, { scope: `${SCOPE} offline_access`, prompt: 'consent' }));
  const res = await redeem(port, f, back.searchParams.get('code') ?? '', verifier);
  const refreshToken = res.status === 200 ? JSON.parse(res.body).refresh_token : undefined;
  if (!refreshToken) throw new Error(`no refresh token: ${res.status} ${res.body.slice(0, 200)}`);
  return refreshToken;
}

function loopResult(r) {
  if (r.firstFailure) console.log(`\n  first failure: ${r.firstFailure}`);
  return { ok: r.ok, failed: r.failed, rps: r.ok / r.seconds };
}

// ---------------------------------------------------------------------------------------------
// wrk

async function wrk(dir, options) {
  const r = await wrkLoad(dir, { connections: CONNECTIONS, ...options });
  return { ok: r.requests - r.non2xx, failed: r.errors + r.non2xx, rps: (r.requests - r.non2xx) / r.seconds };
}

function lua(text) {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

/**
 * Refresh grants in chains: one wrk thread with one connection per chain, each presenting the
 * refresh token the previous answer returned. A chain whose answer has no new token keeps
 * presenting the used one, which the provider refuses (and revokes): it shows as failures.
 */
async function refreshChains(dir, tokenUrl, f, tokens, seconds) {
  const file = path.join(dir, `refresh-${process.hrtime.bigint()}.lua`);
  writeFileSync(
    file,
    [
      `wrk.method = 'POST'`,
      `wrk.headers['authorization'] = ${lua(f.appAuth)}`,
      `wrk.headers['content-type'] = 'application/x-www-form-urlencoded'`,
      `local tokens = { ${tokens.map(lua).join(', ')} }`,
      'local n = 0',
      'setup = function(thread)',
      '  n = n + 1',
      '  thread:set("token", tokens[n])',
      'end',
      'request = function()',
      '  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. token)',
      'end',
      'response = function(status, headers, body)',
      `  local t = string.match(body, '"refresh_token":"([^"]+)"')`,
      '  if t then token = t end',
      'end',
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      `  io.write(string.format('WRK {"requests":%d,"us":%d,"errors":%d,"non2xx":%d}\\n', summary.requests, summary.duration,`,
      '    e.connect + e.read + e.write + e.timeout, e.status))',
      'end',
    ].join('\n'),
  );
  const { stdout } = await promisify(execFile)(
    'wrk',
    [`-t${tokens.length}`, `-c${tokens.length}`, `-d${seconds}s`, '--timeout', '10s', '-s', file, tokenUrl],
    { encoding: 'utf8' },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('WRK '));
  if (!line) throw new Error(`wrk printed no figures:\n${stdout}`);
  const r = JSON.parse(line.slice(4));
  return { ok: r.requests - r.non2xx, failed: r.errors + r.non2xx, rps: (r.requests - r.non2xx) / (r.us / 1e6) };
}

// ---------------------------------------------------------------------------------------------

/** CPU seconds of every PostgreSQL process on this machine (the server and its backends). */
function postgresCpuSeconds() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(postgres)')) total += cpuSeconds(pid);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

runMain(main, { onError: (err) => console.error(`\nbench failed: ${err.stack ?? err}`), watchdogMs: 15 * 60_000 });
