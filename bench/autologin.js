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
const { randomUUID } = require('node:crypto');
const { existsSync } = require('node:fs');
const os = require('node:os');
const { TextEncoder } = require('node:util');
const { SignJWT } = require('jose');
const {
  ADMIN_TOKEN,
  BARE_MAIN,
  SERVER_MAIN,
  closedLoop,
  cpuSeconds,
  expectStatus,
  makeTempDir,
  percentile,
  printTable,
  request,
  runMain,
  serverEnv,
  sqliteUrl,
  startProcess,
  startServer,
  stop,
  warnIfBusy,
} = require('./support');

const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const USERS = 40;
const TENANT = 'bench-portal';

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:autologin` (it builds first)');
  const cpus = os.cpus();
  console.log(`Portico autologin benchmark — node ${process.version}, ${CORES} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `${CONCURRENCY} clients, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per load, SQLite, NODE_ENV=production, LOG_LEVEL=warn, load generator in this process`,
  );
  warnIfBusy();
  console.log('');

  const server = await startServer(serverEnv(sqliteUrl(makeTempDir('portico-bench-autologin-'))));
  // The bare app gets the same LOG_LEVEL and NODE_ENV as the server (it logs nothing either way).
  const bare = await startProcess([BARE_MAIN], { LOG_LEVEL: 'warn', NODE_ENV: 'production' }, { ready: '/bare' });
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
    await load.run(tokens)(WARMUP_S);
    const cpuBefore = cpuSeconds(server.child.pid);
    const measured = await load.run(tokens)(DURATION_S);
    const serverCpu = cpuSeconds(server.child.pid) - cpuBefore;
    results.push({ name: load.name, ...measured, serverCpu, bare: load.name.startsWith('bare') });
  }
  await Promise.all([stop(server.child), stop(bare.child)]);

  const bareRate = results[0].ok / results[0].seconds;
  printTable(
    ['load', 'per second', 'p50 ms', 'p99 ms', 'failed', 'server CPU ms each', 'vs bare'],
    results.map((r) => {
      const rate = r.ok / r.seconds;
      return [
        r.name,
        rate.toFixed(0),
        percentile(r.latencies, 50),
        percentile(r.latencies, 99),
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
  return (seconds) => closedLoop(CONCURRENCY, seconds, () => roundTrip(port, logins[next++ % logins.length], nextToken()));
}

function requestLoop(send, isOk) {
  return (seconds) =>
    closedLoop(CONCURRENCY, seconds, async () => {
      const res = await send();
      return isOk(res) ? { ok: true } : { ok: false, why: `${res.status}` };
    });
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

runMain(main);
