import { Client } from 'pg';
import request from 'supertest';
import { databaseKinds, freshDatabase, TestDatabase } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, TestApp } from '../support/test-app';
import { eventually } from '../support/webhook-receiver';
import { freePort } from '../support/ports';
import { buildApp, ServerProcess, WorkerProcess } from '../support/worker-process';

const SECRET_KEY = 'test-secret-key-test-secret-key-test-secret-key';
const SHUTDOWN_TIMEOUT_SECONDS = 5;
// Every call below must answer within this, or the test fails instead of waiting for ever.
const PROMPT_MS = 10_000;
const redisUrl = redisForTests('the Redis fault suite');
const withPostgres = databaseKinds().includes('postgres');
const describeWithPeers = redisUrl && withPostgres ? describe : describe.skip;

/** The factories' view of a server process: its URL and the platform admin's token. */
function apiOf(server: ServerProcess): TestApp {
  return { http: request(server.url), admin: `Bearer ${ADMIN_TOKEN}` } as unknown as TestApp;
}

/** The exit code, or 'still running' when the process outlives the shutdown bound (plus start-up slack). */
function exitWithinBound(stopping: Promise<number | null>): Promise<number | null | 'still running'> {
  return Promise.race([
    stopping,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), (SHUTDOWN_TIMEOUT_SECONDS + 3) * 1000).unref()),
  ]);
}

/**
 * Servers and workers as real processes on PostgreSQL, with a Redis that does not answer (nothing
 * listens on its port) and with a shared one: honest readiness, prompt 503s instead of hangs and
 * 500s, no outbox row held while enqueueing is impossible, bounded SIGTERM, and revocation seen by
 * the other instance at once.
 */
describeWithPeers('Redis faults (PostgreSQL, real processes)', () => {
  let build: { dir: string; remove(): void };

  beforeAll(async () => {
    build = await buildApp();
  }, 180_000);
  afterAll(() => build?.remove());

  const baseEnv = (db: TestDatabase, redis: string, prefix: string) => ({
    DATABASE_URL: db.url,
    PORTICO_SECRET_KEY: SECRET_KEY,
    REDIS_URL: redis,
    JOBS_PREFIX: prefix,
    SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
  });

  describe('with a Redis that does not answer', () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let env: Record<string, string>;
    const workers: WorkerProcess[] = [];

    beforeAll(async () => {
      db = await freshDatabase('postgres');
      env = baseEnv(db, `redis://127.0.0.1:${await freePort()}`, uniqueJobsPrefix());
      server = await ServerProcess.create(build.dir, {
        ...env,
        MIGRATE_ON_START: 'true',
        ADMIN_API_TOKEN: ADMIN_TOKEN,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        // Only the worker below dispatches the outbox.
        JOBS_IN_SERVER: 'false',
      });
      await server.start();
    }, 60_000);
    afterAll(async () => {
      await Promise.all([server, ...workers].map((p) => p?.stop('SIGKILL')));
      await db?.drop();
    });

    it('the server is alive but not ready, and names Redis as what is down', async () => {
      await request(server.url).get('/health').timeout(PROMPT_MS).expect(200, { status: 'ok' });
      const ready = await request(server.url).get('/health/ready').timeout(PROMPT_MS).expect(503);
      expect(ready.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', database: 'up', redis: 'down' });
      expect(ready.body.message).toMatch(/redis does not answer/);
    });

    it('answers a billing run and a sign-in with a prompt 503 saying Redis cannot be reached', async () => {
      const run = await request(server.url)
        .post('/api/v1/billing/runs')
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ period: '2026-01' })
        .timeout(PROMPT_MS);
      expect(run.status).toBe(503);
      expect(run.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/cannot reach Redis/),
      });
      // Refused before anything is written: no queued run is left for a retry to double.
      const runs = await request(server.url).get('/api/v1/billing/runs').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
      expect(runs.body.total).toBe(0);

      for (const page of ['/login', '/console/login']) {
        const form = await request(server.url).get(page).set('Accept', 'text/html').timeout(PROMPT_MS);
        expect(form.status).toBe(503);
        expect(form.text).toContain('Portico cannot reach Redis');
        const signIn = await request(server.url)
          .post(page)
          .type('form')
          .set('Accept', 'text/html')
          .send({ login: ADMIN_EMAIL, password: ADMIN_PASSWORD })
          .timeout(PROMPT_MS);
        expect(signIn.status).toBe(503);
        expect(signIn.text).toContain('Portico cannot reach Redis');
      }
    });

    it('a worker holds no outbox row while it cannot enqueue, and stops on SIGTERM within the bound', async () => {
      const tenant = await makeTenant(apiOf(server));
      await makeUser(apiOf(server), tenant.auth);
      await makeUser(apiOf(server), tenant.auth);
      const worker = new WorkerProcess(build.dir, env);
      workers.push(worker);
      worker.spawn();
      await eventually(() => worker.output.join('').includes('Dispatching domain events failed'), 30_000, 'a dispatch attempt');

      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      try {
        // Another process can take every waiting row: none is locked, none is claimed.
        let locked: unknown = null;
        let free: { id: string; claimed_until: Date | null }[] = [];
        for (let attempt = 0; attempt < 3 && !free.length; attempt++) {
          await pg.query('BEGIN');
          try {
            free = (await pg.query('SELECT id, claimed_until FROM outbox_events WHERE dispatched_at IS NULL FOR UPDATE NOWAIT')).rows;
            locked = null;
          } catch (err) {
            locked = err;
            await new Promise((resolve) => setTimeout(resolve, 100));
          } finally {
            await pg.query('ROLLBACK');
          }
        }
        expect(locked).toBeNull();
        expect(free.length).toBeGreaterThanOrEqual(2);
        expect(free.filter((row) => row.claimed_until !== null)).toEqual([]);
      } finally {
        await pg.end();
      }

      expect(await exitWithinBound(worker.stop('SIGTERM'))).toBe(0);
    }, 60_000);

    it('the server stops on SIGTERM within the bound', async () => {
      expect(await exitWithinBound(server.stop('SIGTERM'))).toBe(0);
    });
  });

  describe('two servers on one PostgreSQL and one Redis', () => {
    let db: TestDatabase;
    let prefix: string;
    let a: ServerProcess;
    let b: ServerProcess;

    beforeAll(async () => {
      db = await freshDatabase('postgres');
      prefix = uniqueJobsPrefix();
      const env = { ...baseEnv(db, redisUrl!, prefix), ADMIN_API_TOKEN: ADMIN_TOKEN };
      // One after the other: the first migrates, the second finds the schema ready.
      a = await (await ServerProcess.create(build.dir, { ...env, MIGRATE_ON_START: 'true' })).start();
      b = await (await ServerProcess.create(build.dir, env)).start();
    }, 60_000);
    afterAll(async () => {
      await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
      await db?.drop();
      await dropJobsPrefix(redisUrl!, prefix);
    });

    // The key is known (cached) on B before the change is made through A.
    const usedOnB = async (tenant: TenantFixture) => {
      await request(b.url).get('/api/v1/users').set('Authorization', tenant.auth).timeout(PROMPT_MS).expect(200);
    };

    it('both are ready (the database and Redis answer)', async () => {
      for (const server of [a, b]) {
        await request(server.url).get('/health/ready').timeout(PROMPT_MS).expect(200, { status: 'ok', database: 'up', redis: 'up' });
      }
    });

    it('a key revoked through one is refused by the other on the very next request', async () => {
      const tenant = await makeTenant(apiOf(a));
      await usedOnB(tenant);
      await request(a.url)
        .delete(`/api/v1/tenants/${tenant.key}/api-keys/${tenant.keyId}`)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .expect(204);
      await request(b.url).get('/api/v1/users').set('Authorization', tenant.auth).timeout(PROMPT_MS).expect(401);
    });

    it('a tenant suspended through one is refused by the other on the very next request', async () => {
      const tenant = await makeTenant(apiOf(a));
      await usedOnB(tenant);
      await request(a.url)
        .patch(`/api/v1/tenants/${tenant.key}`)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
        .send({ status: 'suspended' })
        .expect(200);
      await request(b.url).get('/api/v1/users').set('Authorization', tenant.auth).timeout(PROMPT_MS).expect(403);
    });
  });
});
