'use strict';
// `npm run bench:billing`: builds, then times a billing run of the built CLI
// (`node dist/apps/server/src/cli/billing.js --period 2026-11`) for 10,000 and 100,000
// organizations, on SQLite and on PostgreSQL, and reports the wall time, the run's own time and
// the CLI process's peak RSS against the targets (≤ 60 s, ≤ 300 MB at 100,000; time growing
// linearly from 10,000 to 100,000).
//
// Each database is fresh, migrated with the real CLI and seeded in bulk: 80% of the
// organizations are direct customers (one direct charge each, inserted in bulk), 20% belong to
// four tenants whose billing API is a local HTTP server in this process (one POST per bill,
// answering at once, deduplicating by Idempotency-Key). The CLI runs with its defaults
// (BILLING_CONCURRENCY=8). BENCH_SIZES (e.g. "10000,100000"), BENCH_TENANT_SHARE (0..1),
// BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres, where a throw-away database
// is created and dropped), BENCH_SKIP_PG=1 and BENCH_NODE_ARGS (node options for the CLI, e.g.
// --cpu-prof) change the set-up.
const { execFile, spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const MIGRATE = path.join(DIST, 'apps/server/src/cli/migrate.js');
const BILLING = path.join(DIST, 'apps/server/src/cli/billing.js');
const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const TENANT_SHARE = Number(process.env.BENCH_TENANT_SHARE ?? 0.2);
const TENANTS = 4;
const PERIOD = '2026-11';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGETS = { seconds: 60, rssMb: 300, size: 100_000 };
const SECRET_KEY = randomBytes(32).toString('base64');
const API_USER = 'bench-billing';
const API_PASSWORD = randomBytes(12).toString('hex');
const cleanups = [];

async function main() {
  if (!existsSync(BILLING)) throw new Error('dist/ is missing: run `npm run bench:billing` (it builds first)');
  const cpus = os.cpus();
  console.log(`Portico billing-run benchmark — node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`);
  console.log(
    `organizations: ${SIZES.map((n) => n.toLocaleString('en')).join(' and ')}, ${Math.round(TENANT_SHARE * 100)}% through ${TENANTS} tenant ` +
      `billing APIs (a local server in this process), the rest direct; the built CLI with its defaults`,
  );
  const [load1] = os.loadavg();
  if (load1 > 0.5)
    console.log(`WARNING: load average ${load1.toFixed(2)} before the start: something else is running, the figures will be noisy`);

  const api = await startBillingApi();
  const kinds = process.env.BENCH_SKIP_PG === '1' ? ['sqlite'] : process.env.BENCH_ONLY_PG === '1' ? ['postgres'] : ['sqlite', 'postgres'];
  const results = [];
  for (const kind of kinds) {
    for (const size of SIZES) {
      const db = kind === 'sqlite' ? sqliteDatabase() : await postgresDatabase();
      await migrate(db.url);
      const started = Date.now();
      const tenantIds = await db.seed(size, api.url);
      const seedS = (Date.now() - started) / 1000;
      api.reset();
      const run = await runCli(db.url);
      const check = await db.check();
      const tenantOrgs = Math.round(size * TENANT_SHARE);
      const ok = run.code === 0 && check.charges === size && check.duplicates === 0 && api.bills.size === tenantOrgs;
      results.push({ kind, size, seedS, ...run, ...check, bills: api.bills.size, requests: api.requests, ok, tenants: tenantIds.length });
      console.log(
        `${kind.padEnd(8)} ${size.toLocaleString('en').padStart(7)} orgs: seeded in ${seedS.toFixed(1)} s; run ${run.wallS.toFixed(1)} s wall ` +
          `(${run.runS.toFixed(1)} s billing), peak RSS ${run.rssMb} MB, ${check.charges} charges, ${api.bills.size} tenant bills` +
          (ok ? '' : `  INVALID (exit ${run.code}; ${check.duplicates} duplicates)`),
      );
      if (!ok && run.output) console.log(run.output);
      await db.drop();
    }
  }
  await api.close();
  printTable(results);
  printTargets(results);
}

// ---------------------------------------------------------------------------------------------
// The CLI run: wall time from spawn to exit, the run's own time and the peak RSS it prints.

async function runCli(url) {
  const started = Date.now();
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, BILLING, '--period', PERIOD], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: url,
      PORTICO_SECRET_KEY: SECRET_KEY,
      NODE_ENV: 'production',
      MIGRATE_ON_START: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const wallS = (Date.now() - started) / 1000;
  const runS = Number(/: completed in ([\d.]+) s/.exec(out)?.[1] ?? NaN);
  const rssMb = Number(/Peak memory \(RSS\): (\d+) MB/.exec(out)?.[1] ?? NaN);
  return { code, wallS, runS, rssMb, output: code === 0 ? '' : `${out}\n${err}` };
}

// ---------------------------------------------------------------------------------------------
// A tenant billing API: answers every bill at once, one bill per Idempotency-Key.

function startBillingApi() {
  const state = { bills: new Map(), requests: 0 };
  const expected = `Basic ${Buffer.from(`${API_USER}:${API_PASSWORD}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"success":false,"error":"Invalid credentials"}');
      }
      const key = req.headers['idempotency-key'];
      let bill = state.bills.get(key);
      if (!bill) state.bills.set(key, (bill = { id: `bill-${state.bills.size + 1}` }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, data: { id: bill.id, status: 'pending' } }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/api`,
        get bills() {
          return state.bills;
        },
        get requests() {
          return state.requests;
        },
        reset() {
          state.bills = new Map();
          state.requests = 0;
        },
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Databases: fresh, migrated with the real CLI, seeded in bulk.

/** Tenants (with a sealed billing API password, as the app stores it) and organizations. */
function seedRows(size, apiUrl) {
  const { AppConfig, CryptoService } = require(path.join(DIST, 'libs/core/src/index.js'));
  const crypto = new CryptoService(
    new AppConfig({ DATABASE_URL: 'postgres://unused/x', PORTICO_SECRET_KEY: SECRET_KEY, NODE_ENV: 'test' }),
  );
  const tenants = Array.from({ length: TENANTS }, (_, i) => ({
    id: randomUUID(),
    key: `bench-${i}`,
    sealed: crypto.encrypt(API_PASSWORD),
  }));
  const tenantOrgs = Math.round(size * TENANT_SHARE);
  const orgs = Array.from({ length: size }, (_, i) => {
    const tenant = i < tenantOrgs ? tenants[i % TENANTS] : null;
    return {
      id: randomUUID(),
      tenantId: tenant?.id ?? null,
      siteId: 1000 + i,
      name: `Bench org ${i}`,
      externalUid: tenant ? `grp-${i}` : null,
      price: 900 + (i % 50) * 100,
      currency: i % 5 === 0 ? 'USD' : 'EUR',
    };
  });
  return { tenants, orgs, apiUrl };
}

function sqliteDatabase() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portico-bench-billing-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'portico.sqlite');
  const open = () => new (require('better-sqlite3'))(file);
  return {
    url: `sqlite:${file}`,
    async seed(size, apiUrl) {
      const { tenants, orgs } = seedRows(size, apiUrl);
      const db = open();
      const tenant = db.prepare("INSERT INTO tenants (id, key, name, status) VALUES (?, ?, ?, 'active')");
      const integration = db.prepare(
        "INSERT INTO tenant_integrations (id, tenant_id, embed_origins, billing_api_url, billing_api_username, billing_api_password_sealed, billing_api_allow_private_network) VALUES (?, ?, '[]', ?, ?, ?, 1)",
      );
      const org = db.prepare(
        "INSERT INTO organizations (id, tenant_id, site_id, name, external_uid, auth_mode, plan_price_cents, plan_currency) VALUES (?, ?, ?, ?, ?, 'portico', ?, ?)",
      );
      db.transaction(() => {
        for (const t of tenants) {
          tenant.run(t.id, t.key, t.key);
          integration.run(randomUUID(), t.id, apiUrl, API_USER, t.sealed);
        }
        for (const o of orgs) org.run(o.id, o.tenantId, o.siteId, o.name, o.externalUid, o.price, o.currency);
      })();
      db.exec('ANALYZE');
      db.close();
      return tenants;
    },
    async check() {
      const db = open();
      const charges = db.prepare('SELECT COUNT(*) AS n FROM charges WHERE period = ?').get(PERIOD).n;
      const duplicates = db
        .prepare(
          'SELECT COUNT(*) AS n FROM (SELECT organization_id FROM charges WHERE period = ? GROUP BY organization_id HAVING COUNT(*) > 1)',
        )
        .get(PERIOD).n;
      db.close();
      return { charges, duplicates };
    },
    async drop() {},
  };
}

async function postgresDatabase() {
  const { Client } = require('pg');
  const name = `portico_bench_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  cleanups.push(() => drop().catch(() => undefined));
  const withClient = async (work) => {
    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };
  return {
    url: url.toString(),
    seed: (size, apiUrl) =>
      withClient(async (c) => {
        const { tenants, orgs } = seedRows(size, apiUrl);
        for (const t of tenants) {
          await c.query("INSERT INTO tenants (id, key, name, status) VALUES ($1, $2, $2, 'active')", [t.id, t.key]);
          await c.query(
            "INSERT INTO tenant_integrations (id, tenant_id, embed_origins, billing_api_url, billing_api_username, billing_api_password_sealed, billing_api_allow_private_network) VALUES ($1, $2, '[]', $3, $4, $5, true)",
            [randomUUID(), t.id, apiUrl, API_USER, t.sealed],
          );
        }
        for (let i = 0; i < orgs.length; i += 10_000) {
          const chunk = orgs.slice(i, i + 10_000);
          await c.query(
            `INSERT INTO organizations (id, tenant_id, site_id, name, external_uid, auth_mode, plan_price_cents, plan_currency)
             SELECT id, tenant_id, site_id, name, external_uid, 'portico', price, currency
             FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[])
               AS o(id, tenant_id, site_id, name, external_uid, price, currency)`,
            [
              chunk.map((o) => o.id),
              chunk.map((o) => o.tenantId),
              chunk.map((o) => o.siteId),
              chunk.map((o) => o.name),
              chunk.map((o) => o.externalUid),
              chunk.map((o) => o.price),
              chunk.map((o) => o.currency),
            ],
          );
        }
        await c.query('ANALYZE');
        return tenants;
      }),
    check: () =>
      withClient(async (c) => {
        const charges = Number((await c.query('SELECT COUNT(*) AS n FROM charges WHERE period = $1', [PERIOD])).rows[0].n);
        const duplicates = Number(
          (
            await c.query(
              'SELECT COUNT(*) AS n FROM (SELECT organization_id FROM charges WHERE period = $1 GROUP BY organization_id HAVING COUNT(*) > 1) d',
              [PERIOD],
            )
          ).rows[0].n,
        );
        return { charges, duplicates };
      }),
    drop,
  };
}

function migrate(url) {
  return promisify(execFile)(process.execPath, [MIGRATE], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, PORTICO_SECRET_KEY: SECRET_KEY, NODE_ENV: 'production' },
  });
}

// ---------------------------------------------------------------------------------------------
// Report.

function printTable(results) {
  console.log('\n| database | organizations | wall time | billing time | per 1,000 orgs | peak RSS | charges | tenant bills (requests) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.kind} | ${r.size.toLocaleString('en')} | ${r.wallS.toFixed(1)} s | ${r.runS.toFixed(1)} s | ${((r.runS / r.size) * 1000 * 1000).toFixed(0)} ms | ` +
        `${r.rssMb} MB | ${r.charges.toLocaleString('en')} | ${r.bills.toLocaleString('en')} (${r.requests.toLocaleString('en')}) |`,
    );
  }
}

function printTargets(results) {
  console.log(
    `\nTargets (${TARGETS.size.toLocaleString('en')} organizations: ≤ ${TARGETS.seconds} s, ≤ ${TARGETS.rssMb} MB peak RSS; linear growth)`,
  );
  let invalid = false;
  for (const kind of [...new Set(results.map((r) => r.kind))]) {
    const mine = results.filter((r) => r.kind === kind);
    const big = mine.find((r) => r.size === TARGETS.size);
    if (big) {
      console.log(
        `  ${big.wallS <= TARGETS.seconds ? 'PASS' : 'MISS'}  ${kind.padEnd(8)} wall time ≤ ${TARGETS.seconds} s`.padEnd(48) +
          `${big.wallS.toFixed(1)} s`,
      );
      console.log(
        `  ${big.rssMb <= TARGETS.rssMb ? 'PASS' : 'MISS'}  ${kind.padEnd(8)} peak RSS ≤ ${TARGETS.rssMb} MB`.padEnd(48) +
          `${big.rssMb} MB`,
      );
    }
    if (mine.length >= 2) {
      const [small, large] = [mine[0], mine[mine.length - 1]];
      const sizeRatio = large.size / small.size;
      const timeRatio = large.runS / small.runS;
      // Linear: ten times the organizations take about ten times as long (fixed costs make it less).
      const linear = timeRatio <= sizeRatio * 1.25;
      console.log(
        `  ${linear ? 'PASS' : 'MISS'}  ${kind.padEnd(8)} linear (billing time ×${sizeRatio} orgs)`.padEnd(48) + `×${timeRatio.toFixed(1)}`,
      );
    }
    if (mine.some((r) => !r.ok)) invalid = true;
  }
  if (invalid) {
    console.log('\nINVALID: a run failed, or charges or bills were missing or doubled');
    process.exitCode = 1;
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of cleanups.reverse()) await c();
  });
