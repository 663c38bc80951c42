'use strict';
// `npm run bench:rate-limits`: builds, then times the rate limiter's own cost per request, in
// process, without HTTP: the entitlement check's limiter (chunks taken from the shared counter,
// spent locally) in memory and on Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379; set
// BENCH_SKIP_REDIS=1 to skip it), and the other doors' limiter (one count per request) likewise.
// Compare the figures with the check's CPU time per request in `npm run bench:entitlements`.
const { existsSync } = require('node:fs');
const path = require('node:path');
const { DIST, printTable, runMain } = require('./support');

const CORE = path.join(DIST, 'libs/core/src/index.js');
const CALLS = Number(process.env.BENCH_CALLS ?? 200_000);
const ADDRESSES = 100;

async function main() {
  if (!existsSync(CORE)) throw new Error('dist/ is missing: run `npm run bench:rate-limits` (it builds first)');
  const { AppConfig, Metrics, RateLimits, ReservingLimiter } = require(CORE);
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const stores = process.env.BENCH_SKIP_REDIS === '1' ? ['memory'] : ['memory', 'redis'];
  const rows = [];
  for (const store of stores) {
    const env = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', JOBS_PREFIX: `bench-rl-${process.pid}` };
    if (store === 'redis') env.REDIS_URL = redisUrl;
    const limits = new RateLimits(new AppConfig(env), Metrics.disabled());
    // Far above this load, so every call passes: the cost of counting, not of refusing.
    const policy = { perSecond: 100_000_000, burst: 0 };
    const check = new ReservingLimiter(limits.limiter('check', policy));
    const door = limits.limiter('door', policy);
    rows.push([`entitlement check (chunks), ${store}`, ...(await time((i) => check.consume(`ip:${i % ADDRESSES}`), CALLS))]);
    const doorCalls = store === 'redis' ? CALLS / 10 : CALLS;
    rows.push([`other doors (each request), ${store}`, ...(await time((i) => door.consume(`ip:${i % ADDRESSES}`), doorCalls))]);
    await limits.onModuleDestroy();
  }
  printTable(['limiter', 'calls', 'µs per call (wall)', 'µs per call (CPU)'], rows);
}

async function time(call, calls) {
  for (let i = 0; i < 2_000; i++) await call(i); // warm-up, and the first chunks taken
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const v = call(i);
    if (v instanceof Promise) await v;
  }
  const wallUs = Number(process.hrtime.bigint() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return [calls.toLocaleString('en'), (wallUs / calls).toFixed(2), ((used.user + used.system) / calls).toFixed(2)];
}

runMain(main);
