'use strict';
// `npm run bench:audit-export`: builds, then puts 1,000,000 audit events (BENCH_AUDIT_ROWS) into a
// fresh SQLite database, starts the built server on it and downloads GET /api/v1/audit-events/export
// as NDJSON and as CSV, reading as fast as it can. It samples the server's resident memory (RSS)
// every 100 ms and prints it before, at its peak and after each export, with rows and bytes per
// second. The export reads the log in keyset pages, so the peak should not grow with the rows.
const { randomUUID } = require('node:crypto');
const { existsSync, readFileSync } = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { clearInterval, setInterval } = require('node:timers');
const {
  ADMIN_TOKEN,
  SECRET_KEY,
  SERVER_MAIN,
  makeTempDir,
  migrate,
  printTable,
  runMain,
  serverEnv,
  startServer,
  stop,
  warnIfBusy,
} = require('./support');

const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const TENANTS = 50;
const ACTIONS = [
  'user.created',
  'user.updated',
  'user.billable_changed',
  'organization.created',
  'membership.created',
  'auth.login.succeeded',
];

async function main() {
  if (!existsSync(SERVER_MAIN)) throw new Error('dist/ is missing: run `npm run bench:audit-export` (it builds first)');
  console.log(`Portico audit export benchmark — node ${process.version}, ${ROWS.toLocaleString('en')} audit events on SQLite`);
  warnIfBusy();
  const dir = makeTempDir('portico-bench-audit-');
  const file = path.join(dir, 'portico.sqlite');
  const url = `sqlite:${file}`;
  await migrate({ DATABASE_URL: url, PORTICO_SECRET_KEY: SECRET_KEY, NODE_ENV: 'production' });
  const started = Date.now();
  load(file);
  console.log(`inserted ${ROWS.toLocaleString('en')} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const server = await startServer({ ...serverEnv(url), MIGRATE_ON_START: 'false' });
  const rows = [];
  try {
    for (const format of ['ndjson', 'csv']) rows.push(await measure(server, format));
  } finally {
    await stop(server.child);
  }
  printTable(
    ['export', 'lines', 'MB', 'seconds', 'rows/s', 'RSS before MB', 'RSS at 25/50/75/100% MB', 'RSS peak MB', 'RSS after MB'],
    rows,
  );
  console.log('(RSS: the server process, sampled every 100 ms while the export runs; lines include the CSV header)');
}

/** 1,000,000 rows in batches inside one transaction: realistic actions, tenants and details. */
function load(file) {
  const db = new (require('better-sqlite3'))(file);
  const insert = db.prepare(
    `INSERT INTO audit_events (id, created_at, updated_at, at, actor_kind, actor_id, actor_label, tenant_id, tenant_key, action, target_type, target_id, ip, details)
     VALUES (?, ?, ?, ?, 'tenant', ?, ?, NULL, ?, ?, 'user', ?, '203.0.113.7', ?)`,
  );
  const start = Date.parse('2026-01-01T00:00:00Z');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const at = new Date(start + i * 1000).toISOString().replace('T', ' ').replace('Z', '');
      const tenant = `tenant-${i % TENANTS}`;
      const details = JSON.stringify({ email: `person-${i}@example.com`, via: 'api', note: i % 97 === 0 ? '=HYPERLINK("x")' : 'ok' });
      insert.run(
        randomUUID(),
        at,
        at,
        at,
        `tk_${i % TENANTS}`,
        `tenant:${tenant}/tk_${i % TENANTS}`,
        tenant,
        ACTIONS[i % ACTIONS.length],
        randomUUID(),
        details,
      );
    }
  })();
  db.close();
}

async function measure(server, format) {
  const pid = server.child.pid;
  const before = rss(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 100);
  const started = Date.now();
  // RSS as each quarter of the rows has arrived: a flat line means memory does not grow with the range.
  const quarters = [];
  const { lines, bytes } = await download(server.port, `/api/v1/audit-events/export?format=${format}`, (done) => {
    while (quarters.length < 4 && done >= ((quarters.length + 1) * ROWS) / 4) quarters.push(rss(pid));
  });
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rss(pid));
  const after = rss(pid);
  const mb = (n) => (n / 1024 / 1024).toFixed(1);
  return [
    format,
    lines.toLocaleString('en'),
    mb(bytes),
    seconds.toFixed(1),
    Math.round(ROWS / seconds).toLocaleString('en'),
    mb(before),
    quarters.map(mb).join(' / '),
    mb(peak),
    mb(after),
  ];
}

function download(port, pathname, progress) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${pathname} answered ${res.statusCode}`));
      let lines = 0;
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        progress(lines);
      });
      res.on('end', () => resolve({ lines, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Resident memory of a process, in bytes (Linux). */
function rss(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

runMain(main);
