'use strict';
// `npm run bench:entitlements`: builds, then measures GET /entitlements/check (the hottest path:
// repositories call it on every access) on the built server against a bare NestJS-on-Express
// route returning a constant, on SQLite and on PostgreSQL, each with 100,000 virtual keys and 50
// classes loaded. Prints the figures, PASS/MISS per target, the CPU each answer costs (the Node
// process, and PostgreSQL's processes) and the query plan of the key lookup.
//
// The server runs with LOG_LEVEL=warn, a production setting. It changes nothing for the check
// itself, which the app-wide middleware let through, request logger included (every check is in the
// decision log instead); at info, pino-http would write a line for each of the other requests.
// The load asks for 1,000 different valid keys in turn; each is a real lookup (nothing is cached).
// Everything runs on 127.0.0.1, the load generator in this process, so on a 2-core machine the
// figures include its share of the CPU. BENCH_DURATION / BENCH_WARMUP (seconds) change the load
// windows; BENCH_PG_URL the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres),
// where a fresh database is created, migrated with the real CLI and dropped at the end;
// BENCH_SKIP_PG=1 measures SQLite only.
const { randomBytes, randomUUID } = require('node:crypto');
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const {
  BARE_MAIN,
  DIST,
  PG_URL,
  SECRET_KEY,
  SERVER_MAIN,
  call,
  cpuSeconds,
  createPostgresDatabase,
  makeTempDir,
  migrate,
  percent: pct,
  printMarkdownTable,
  request,
  runMain,
  serverEnv,
  startProcess,
  startServer,
  stop,
  warnIfBusy,
} = require('./support');

const LOOKUP = path.join(DIST, 'libs/entitlements/src/check/key-lookup.repository.js');
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 3);
const KEYS = 100_000;
const CLASSES = 50;
// The load asks for this many different valid keys in turn, so the lookup is not one hot row.
const KEYS_ASKED = 1_000;
const TARGETS = { ratio: 0.8, p99Ms: 15 };
const SERVER = 'rm.example.com';
const CLASS = 'myProduct';
const REAL_KEY = '03d59e663c1af9ac33a9949d1193505a8460731e';

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:entitlements` (it builds first)');
  const cpus = os.cpus();
  console.log(`Portico entitlement-check benchmark — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per load, ${KEYS.toLocaleString('en')} virtual keys loaded, ` +
      `${KEYS_ASKED.toLocaleString('en')} of them asked in turn, server LOG_LEVEL=warn, load generator in this process`,
  );
  warnIfBusy();

  const kinds = process.env.BENCH_SKIP_PG === '1' ? ['sqlite'] : ['sqlite', 'postgres'];
  const results = [];
  const plans = [];
  for (const kind of kinds) {
    console.log(`\n— ${kind} —`);
    const db = kind === 'sqlite' ? sqliteDatabase() : await postgresDatabase();
    await migrate({ DATABASE_URL: db.url, PORTICO_SECRET_KEY: SECRET_KEY, NODE_ENV: 'production' });
    // BENCH_REDIS_URL: the rate limits' counters in Redis (the check's limiter takes them in chunks).
    const redis = process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL, JOBS_PREFIX: `bench-${process.pid}` } : {};
    const server = await startServer({ ...serverEnv(db.url), MIGRATE_ON_START: 'false', ...redis });
    const cls = await call(server.port, 'POST', '/api/v1/entitlements/classes', { name: CLASS, server: SERVER, realKey: REAL_KEY });
    // A catalogue of products beside it, as a vendor has, so the plans are those of a real table.
    for (let i = 1; i < CLASSES; i++) {
      await call(server.port, 'POST', '/api/v1/entitlements/classes', {
        name: `product-${i}`,
        server: `repo-${i}.example.com`,
        realKey: randomBytes(20).toString('hex'),
      });
    }
    const started = Date.now();
    const keys = await db.load(cls.id);
    console.log(`loaded ${KEYS.toLocaleString('en')} virtual keys in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    plans.push([kind, await db.plan(keys.slice(0, 8))]);
    const paths = keys.slice(0, KEYS_ASKED).map((k) => `/entitlements/check?server=${SERVER};class=${CLASS};key=${encodeURIComponent(k)}`);
    const probe = await request(server.port, 'GET', paths[0], undefined, { accept: '*/*' });
    if (probe.status !== 200 || !probe.body.includes(`<key>${REAL_KEY}</key>`))
      throw new Error(`the check did not grant a loaded key: ${probe.status} ${probe.body}`);

    // The bare route runs alone (the server idles meanwhile), then the check, back to back.
    const bare = await startProcess([BARE_MAIN], {}, { ready: '/bare' });
    const bareResult = await load(
      `bare Nest route (GET /bare), ${kind} run`,
      { url: `http://127.0.0.1:${bare.port}/bare` },
      bare.child.pid,
    );
    await stop(bare.child);
    let next = 0;
    const checkResult = await load(
      `GET /entitlements/check, ${kind}`,
      {
        url: `http://127.0.0.1:${server.port}`,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }],
      },
      server.child.pid,
    );
    const logged = await call(server.port, 'GET', '/api/v1/entitlements/decisions?limit=1');
    await stop(server.child);
    await db.drop();
    // PostgreSQL's CPU counts only where it serves the load.
    bareResult.dbUs = null;
    if (kind !== 'postgres') checkResult.dbUs = null;
    results.push({ kind, bare: bareResult, check: checkResult, loggedRows: logged.total });
  }

  printTable(results.flatMap((r) => [r.bare, { ...r.check, ratio: r.check.rps / r.bare.rps }]));
  console.log(
    '(CPU µs/req: CPU time over the measured window per answer, of the serving Node process and of all PostgreSQL processes; steadier than req/s on a busy machine)',
  );
  console.log('\nTargets (GET /entitlements/check for a valid key, 100,000 keys loaded)');
  let invalid = false;
  for (const r of results) {
    const ratio = r.check.rps / r.bare.rps;
    console.log(
      `  ${ratio >= TARGETS.ratio ? 'PASS' : 'MISS'}  ${r.kind.padEnd(8)} req/s ≥ ${TARGETS.ratio * 100}% of bare`.padEnd(50) + pct(ratio),
    );
    console.log(
      `  ${r.check.p99 <= TARGETS.p99Ms ? 'PASS' : 'MISS'}  ${r.kind.padEnd(8)} p99 ≤ ${TARGETS.p99Ms} ms`.padEnd(50) + `${r.check.p99} ms`,
    );
    if (r.check.errors || r.check.non2xx || r.bare.errors || r.bare.non2xx) invalid = true;
  }
  for (const r of results)
    console.log(`  ${r.kind}: ${r.loggedRows} decision-log rows written (identical decisions aggregated per second)`);
  console.log('\nQuery plan of the lookup (the one query of a local check)');
  for (const [kind, plan] of plans) console.log(`  ${kind}:\n${plan.map((l) => `    ${l}`).join('\n')}`);
  if (invalid) {
    console.log('\nINVALID: errors or non-2xx answers during a load');
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Databases: a fresh one per kind, migrated with the real CLI, 100,000 keys loaded in bulk.

function benchKeys() {
  // CRM-like customer ids, all different.
  return Array.from({ length: KEYS }, (_, i) => `cust-${String(i).padStart(6, '0')}-${randomBytes(4).toString('hex')}`);
}

function sqliteDatabase() {
  const dir = makeTempDir('portico-bench-ent-');
  const file = path.join(dir, 'portico.sqlite');
  const open = () => new (require('better-sqlite3'))(file);
  return {
    url: `sqlite:${file}`,
    async load(classId) {
      const keys = benchKeys();
      const db = open();
      const insert = db.prepare(
        "INSERT INTO virtual_entitlements (id, tenant_id, key, class_id, status, expires_at, organization_id) VALUES (?, NULL, ?, ?, 'active', NULL, NULL)",
      );
      db.transaction(() => keys.forEach((k) => insert.run(randomUUID(), k, classId)))();
      db.exec('ANALYZE');
      db.close();
      return shuffle(keys);
    },
    async plan(keys) {
      const db = open();
      const sql = require(LOOKUP).batchLookupSql('sqlite');
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(JSON.stringify(keys));
      db.close();
      return [sql, ...rows.map((r) => `${r.detail}`)];
    },
    async drop() {},
  };
}

async function postgresDatabase() {
  const { Client } = require('pg');
  const { url, drop } = await createPostgresDatabase(PG_URL);
  const withClient = async (work) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };
  return {
    url,
    load: (classId) =>
      withClient(async (c) => {
        const keys = benchKeys();
        for (let i = 0; i < keys.length; i += 5000) {
          const chunk = keys.slice(i, i + 5000);
          await c.query(
            "INSERT INTO virtual_entitlements (id, key, class_id, status) SELECT gen_random_uuid(), k, $2, 'active' FROM unnest($1::text[]) AS k",
            [chunk, classId],
          );
        }
        await c.query('ANALYZE virtual_entitlements');
        await c.query('ANALYZE entitlement_classes');
        return shuffle(keys);
      }),
    plan: (keys) =>
      withClient(async (c) => {
        const sql = require(LOOKUP).batchLookupSql('postgres');
        // As the server runs it: a parameter, not a literal (a generic plan once it is prepared).
        await c.query(`PREPARE lookup(varchar[]) AS ${sql}`);
        await c.query('SET plan_cache_mode = force_generic_plan');
        const literal = `ARRAY[${keys.map((k) => `'${k.replace(/'/g, "''")}'`).join(',')}]::varchar[]`;
        const rows = await c.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE lookup(${literal})`);
        return [sql, ...rows.rows.map((r) => r['QUERY PLAN'])];
      }),
    drop,
  };
}

function shuffle(list) {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Loads

/** One load: a warm-up that is thrown away, then the measured window, with the server's CPU time per answer. */
async function load(name, options, pid) {
  process.stdout.write(`load: ${name} … `);
  const base = { connections: CONNECTIONS, pipelining: 1, timeout: 10 };
  await autocannon({ ...base, ...options, duration: WARMUP_S });
  const cpuBefore = cpuMicros(pid);
  const dbBefore = postgresCpuMicros();
  const r = await autocannon({ ...base, ...options, duration: DURATION_S });
  const dbUs = (postgresCpuMicros() - dbBefore) / r.requests.total;
  const result = {
    name,
    rps: r.requests.total / DURATION_S,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuUs: (cpuMicros(pid) - cpuBefore) / r.requests.total,
    dbUs,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
  console.log(`${Math.round(result.rps)} req/s`);
  return result;
}

// User and system time of a process in microseconds.
function cpuMicros(pid) {
  return Math.round(cpuSeconds(pid) * 1e6);
}

// The same for every PostgreSQL process on this machine (the server and its backends).
function postgresCpuMicros() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.includes('(postgres)')) total += cpuMicros(pid);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function printTable(rows) {
  printMarkdownTable(
    ['load (50 connections)', 'req/s', 'p50 ms', 'p99 ms', 'app CPU µs/req', 'PostgreSQL CPU µs/req', 'errors', 'non-2xx', 'vs bare'],
    rows.map((r) => [
      r.name,
      Math.round(r.rps),
      r.p50,
      r.p99,
      Math.round(r.cpuUs),
      r.dbUs === null ? '—' : Math.round(r.dbUs),
      r.errors,
      r.non2xx,
      r.ratio === undefined ? '' : pct(r.ratio),
    ]),
  );
}

runMain(main, { onError: (err) => console.error(`\nbench failed: ${err.stack ?? err}`) });
