import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { databaseKinds } from '../support/databases';
import { makeTenant, makeUser, TenantFixture } from '../support/factories';
import { dropJobsPrefix, redisForTests, uniqueJobsPrefix } from '../support/redis';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';
import { buildApp, WorkerProcess } from '../support/worker-process';

const EP = '/api/v1/webhooks/endpoints';
const SECRET_KEY = 'test-secret-key-test-secret-key-test-secret-key';
const redisUrl = redisForTests('BullMQ jobs and the worker process');
const describeWithRedis = redisUrl ? describe : describe.skip;

/**
 * REDIS_URL mode: jobs on BullMQ, processed by real `apps/worker` processes compiled like
 * `npm run build` does. The server runs with JOBS_IN_SERVER=false, so only the workers deliver.
 */
describeWithRedis('jobs on BullMQ with worker processes', () => {
  let build: { dir: string; remove(): void };

  beforeAll(async () => {
    build = await buildApp();
  }, 180_000);
  afterAll(() => build?.remove());

  describe.each(databaseKinds())('%s', (kind) => {
    let t: TestApp;
    const prefix = uniqueJobsPrefix();
    const workers: WorkerProcess[] = [];
    const receivers: WebhookReceiver[] = [];
    const jobsEnv = { REDIS_URL: redisUrl!, JOBS_PREFIX: prefix, WEBHOOK_TIMEOUT_SECONDS: '2', WEBHOOK_RETRY_SCHEDULE: '0,1,1' };

    beforeAll(async () => {
      t = await startTestApp(kind, { ...jobsEnv, JOBS_IN_SERVER: 'false' });
    });
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await Promise.all(receivers.map((r) => r.close()));
      await t?.close();
      await dropJobsPrefix(redisUrl!, prefix);
    });

    const worker = async () => {
      const w = new WorkerProcess(build.dir, {
        ...jobsEnv,
        DATABASE_URL: t.config.database.kind === 'sqlite' ? `sqlite:${t.config.database.location}` : t.config.database.location,
        PORTICO_SECRET_KEY: SECRET_KEY,
      });
      workers.push(w);
      return w.start();
    };
    const subscribe = async (respond?: ConstructorParameters<typeof WebhookReceiver>[0]) => {
      const r = await new WebhookReceiver(respond).start();
      receivers.push(r);
      const tenant = await makeTenant(t);
      const { body } = await t.http
        .post(EP)
        .set('Authorization', t.admin)
        .send({ tenantKey: tenant.key, url: r.url(), events: ['user.created'], allowPrivateNetwork: true })
        .expect(201);
      return { r, tenant, endpoint: body as { id: string; secret: string } };
    };
    const messages = async (tenant: TenantFixture, id: string) =>
      (await t.http.get(`${EP}/${id}/messages`).set('Authorization', tenant.auth).expect(200)).body.items as {
        id: string;
        status: string;
        attempts: number;
      }[];
    const undispatched = async () =>
      Number((await t.app.get(DataSource).query('SELECT COUNT(*) AS n FROM outbox_events WHERE dispatched_at IS NULL'))[0].n);

    it('leaves jobs to the workers: nothing moves until one runs, then it delivers', async () => {
      const { r, tenant, endpoint } = await subscribe();
      const user = await makeUser(t, tenant.auth);
      expect(await undispatched()).toBeGreaterThanOrEqual(1);
      const w = await worker();
      const [hook] = await eventually(() => r.received.length && r.received, 30_000, 'a delivery by the worker');
      expect(new Webhook(endpoint.secret).verify(hook.body, hook.headers as Record<string, string>)).toMatchObject({
        data: { user: { id: user.id } },
      });
      await eventually(async () => (await messages(tenant, endpoint.id))[0]?.status === 'succeeded');
      expect(await w.stop('SIGTERM')).toBe(0);
    });

    it('on SIGTERM finishes the delivery in flight, then exits 0', async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const { r, tenant, endpoint } = await subscribe(async () => void (await released));
      const w = await worker();
      await makeUser(t, tenant.auth);
      await eventually(() => r.received.length === 1, 30_000, 'the request to arrive');
      const exit = w.stop('SIGTERM');
      setTimeout(release, 500);
      expect(await exit).toBe(0);
      const [message] = await messages(tenant, endpoint.id);
      expect(message).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(r.received).toHaveLength(1);
    });

    it('loses nothing when a worker is killed mid-delivery: a restarted worker sends it again', async () => {
      const { r, tenant, endpoint } = await subscribe((_h, res, i) => {
        // The first request never gets an answer: its worker dies holding it.
        if (i === 0) return new Promise<void>(() => res.on('close', () => undefined));
      });
      const first = await worker();
      await makeUser(t, tenant.auth);
      await eventually(() => r.received.length === 1, 30_000, 'the request to arrive');
      await first.stop('SIGKILL');
      const [pending] = await messages(tenant, endpoint.id);
      expect(pending).toMatchObject({ status: 'pending', attempts: 0 });
      await worker();
      const [message] = await eventually(
        async () => {
          const items = await messages(tenant, endpoint.id);
          return items[0]?.status === 'succeeded' && items;
        },
        40_000,
        'the restarted worker to deliver',
      );
      expect(r.received).toHaveLength(2);
      expect(r.received.map((h) => h.headers['webhook-id'])).toEqual([message.id, message.id]);
      expect(r.received[1].body).toBe(r.received[0].body);
      expect(() => new Webhook(endpoint.secret).verify(r.received[1].body, r.received[1].headers as Record<string, string>)).not.toThrow();
    }, 90_000);
  });

  it('without workers, a server with REDIS_URL processes jobs itself (JOBS_IN_SERVER defaults to true)', async () => {
    const prefix = uniqueJobsPrefix();
    const t = await startTestApp('sqlite', { REDIS_URL: redisUrl!, JOBS_PREFIX: prefix });
    const r = await new WebhookReceiver().start();
    try {
      const tenant = await makeTenant(t);
      const { body: endpoint } = await t.http
        .post(EP)
        .set('Authorization', t.admin)
        .send({ tenantKey: tenant.key, url: r.url(), events: ['user.created'], allowPrivateNetwork: true })
        .expect(201);
      const user = await makeUser(t, tenant.auth);
      const [hook] = await eventually(() => r.received.length && r.received);
      expect(new Webhook(endpoint.secret).verify(hook.body, hook.headers as Record<string, string>)).toMatchObject({
        data: { user: { id: user.id } },
      });
    } finally {
      await r.close();
      await t.close();
      await dropJobsPrefix(redisUrl!, prefix);
    }
  });
});
