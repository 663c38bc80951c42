import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations';
import { databaseKinds, DbKind, freshDatabase, TestDatabase } from '../support/databases';
import { csrfOf } from '../support/web-session';
import { buildApp, ServerProcess } from '../support/worker-process';

const SECRET = 'test-secret-key-test-secret-key-test-secret-key';
const TOKEN = 'first-start-token-0123456789abcdef';
const ANNOUNCED = 'First platform administrator created.';

/** A fresh instance as an operator starts one: migrations on start, no ADMIN_PASSWORD (a one-time password is printed). */
function firstStartEnv(db: TestDatabase): Record<string, string> {
  return { DATABASE_URL: db.url, PORTICO_SECRET_KEY: SECRET, MIGRATE_ON_START: 'true', ADMIN_API_TOKEN: TOKEN };
}

async function query<T>(db: TestDatabase, sql: string): Promise<T[]> {
  const ds = await new DataSource(
    db.kind === 'postgres' ? { type: 'postgres', url: db.url } : { type: 'better-sqlite3', database: db.url.slice('sqlite:'.length) },
  ).initialize();
  try {
    return (await ds.query(sql)) as T[];
  } finally {
    await ds.destroy();
  }
}

function printedPassword(server: ServerProcess): string {
  const found = /password: +(\S+)/.exec(server.output.join(''));
  if (!found) throw new Error(`No password in:\n${server.output.join('')}`);
  return found[1];
}

/** Signs in to the console the way a person would with what the terminal showed. */
async function consoleSignIn(server: ServerProcess, password: string): Promise<string | undefined> {
  const browser = request.agent(server.url);
  const page = await browser.get('/console/login').expect(200);
  const res = await browser
    .post('/console/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), email: 'admin@localhost', password });
  return res.headers.location as string | undefined;
}

function occupy(port: number): Promise<Server> {
  const blocker = createServer();
  return new Promise((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen(port, () => resolve(blocker));
  });
}

let build: { dir: string; remove(): void };
beforeAll(async () => {
  build = await buildApp();
}, 120_000);
afterAll(() => build?.remove());

// Several instances need PostgreSQL (README); two processes on one SQLite file take the same lock
// (a lock file), which startup-lock.spec covers without the cost of starting servers.
const shared = databaseKinds().filter((k) => k === 'postgres');
if (!shared.length) process.stderr.write('\n  [skipped] several servers starting at once: set TEST_DATABASE_URL to run it\n');

/**
 * First start from several processes at once (issue 16 item 11), as a load balancer's instances
 * start on a fresh PostgreSQL database: every one comes up, the migrations run once, one admin is
 * made and its one-time password printed once.
 */
describe.each(shared.length ? shared : ['postgres' as const])('first start of several servers at once (%s)', (kind: DbKind) => {
  // Without PostgreSQL (and so without CI=true) this says so above and has nothing to run.
  if (!shared.length) return void it('needs PostgreSQL', () => undefined);
  const rounds = 3;
  const instances = 3;

  it(`starts ${instances} servers together on a fresh database, ${rounds} times: all serve, one admin, one password, each migration once`, async () => {
    for (let round = 0; round < rounds; round++) {
      const db = await freshDatabase(kind);
      const servers: ServerProcess[] = [];
      try {
        for (let i = 0; i < instances; i++) servers.push(await ServerProcess.create(build.dir, firstStartEnv(db)));
        await Promise.all(servers.map((s) => s.start(60_000)));

        for (const s of servers) await request(s.url).get('/health/ready').expect(200);
        const announced = servers.filter((s) => s.output.join('').includes(ANNOUNCED));
        expect(announced).toHaveLength(1);
        expect(await consoleSignIn(servers[servers.length - 1], printedPassword(announced[0]))).toBe('/console');
        // The token registered once however many instances started with it: every one accepts it.
        for (const s of servers) await request(s.url).get('/api/v1/tenants').set('Authorization', `Bearer ${TOKEN}`).expect(200);

        const admins = await query<{ n: string | number }>(db, 'SELECT count(*) AS n FROM users WHERE is_platform_admin = true');
        expect(Number(admins[0].n)).toBe(1);
        const migrations = (await query<{ name: string }>(db, 'SELECT name FROM schema_migrations')).map((m) => m.name);
        expect(migrations).toHaveLength(ALL_MIGRATIONS.length);
        expect(new Set(migrations).size).toBe(ALL_MIGRATIONS.length);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await db.drop();
      }
    }
  }, 150_000);
});

/**
 * A port already taken at first start (issue 16 item 16): the server says so in one line and
 * stops before it creates anything, so the next start on a free port still shows the password.
 */
describe.each(databaseKinds())('first start on a port already in use (%s)', (kind: DbKind) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await freshDatabase(kind);
  });
  afterEach(() => db.drop());

  it('exits non-zero with one line saying what to do, prints no password, creates nothing; the next start shows the password', async () => {
    const blocked = await ServerProcess.create(build.dir, firstStartEnv(db));
    const port = Number(new URL(blocked.url).port);
    const blocker = await occupy(port);
    try {
      blocked.spawn();
      expect(await blocked.exit).not.toBe(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const printed = blocked.output.join('');
    expect(printed.split('\n')).toContain(`Port ${port} is already in use (another Portico?). Stop it or start with PORT=${port + 1}.`);
    expect(printed).not.toContain('password');
    expect(printed).not.toMatch(/Error|^\s+at /m);

    if (kind === 'sqlite') expect(existsSync(db.url.slice('sqlite:'.length))).toBe(false);
    else expect(await query(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([]);

    const next = await ServerProcess.create(build.dir, firstStartEnv(db));
    try {
      await next.start(60_000);
      expect(next.output.join('')).toContain(ANNOUNCED);
      expect(await consoleSignIn(next, printedPassword(next))).toBe('/console');
    } finally {
      await next.stop();
    }
  }, 90_000);
});
