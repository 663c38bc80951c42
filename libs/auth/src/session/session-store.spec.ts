import { Redis } from 'ioredis';
import type { SessionData } from 'express-session';
import { DataSource } from 'typeorm';
import { AppConfig, buildDataSourceOptions, TransactionService } from '@portico/core';
import { HttpSession } from '../entities/http-session.entity';
import { DatabaseSessionBackend, PorticoSessionStore, RedisSessionBackend, SessionBackend } from './session-store';

const call = <T>(fn: (cb: (err: unknown, v?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

const session = (userId: string, inMs: number): SessionData =>
  ({ userId, cookie: { originalMaxAge: inMs, expires: new Date(Date.now() + inMs) } }) as unknown as SessionData;

function behavesAsASessionStore(name: string, open: () => Promise<{ backend: SessionBackend; close(): Promise<void> }>): void {
  describe(name, () => {
    let store: PorticoSessionStore;
    let backend: SessionBackend;
    let close: () => Promise<void>;
    beforeAll(async () => {
      const opened = await open();
      backend = opened.backend;
      store = new PorticoSessionStore(opened.backend, 60_000);
      close = opened.close;
    });
    afterAll(async () => close?.());

    it('stores, reads back and destroys a session', async () => {
      const sid = `sid-${Math.random()}`;
      await call((cb) => store.set(sid, session('u1', 60_000), cb));
      expect((await call<SessionData | null>((cb) => store.get(sid, cb)))?.userId).toBe('u1');
      await call((cb) => store.set(sid, session('u2', 60_000), cb));
      expect((await call<SessionData | null>((cb) => store.get(sid, cb)))?.userId).toBe('u2');
      await call((cb) => store.destroy(sid, cb));
      expect(await call((cb) => store.get(sid, cb))).toBeNull();
    });

    it('forgets a session once it has expired', async () => {
      const sid = `sid-${Math.random()}`;
      await call((cb) => store.set(sid, session('u1', 30), cb));
      await new Promise((r) => setTimeout(r, 80));
      expect(await call((cb) => store.get(sid, cb))).toBeNull();
    });

    it("ends every session of one user, and only that user's", async () => {
      const [a1, a2, b] = [1, 2, 3].map(() => `sid-${Math.random()}`);
      const user = `user-${Math.random()}`;
      await call((cb) => store.set(a1, session(user, 60_000), cb));
      await call((cb) => store.set(a2, session(user, 60_000), cb));
      await call((cb) => store.set(b, session('someone-else', 60_000), cb));
      await backend.destroyUser(user);
      expect(await call((cb) => store.get(a1, cb))).toBeNull();
      expect(await call((cb) => store.get(a2, cb))).toBeNull();
      expect((await call<SessionData | null>((cb) => store.get(b, cb)))?.userId).toBe('someone-else');
      await backend.destroyUser('nobody-signed-in');
    });

    it('answers null for an unknown id', async () => {
      expect(await call((cb) => store.get('never-issued', cb))).toBeNull();
    });

    it("lists a user's live sessions, each last seen when a request last touched it", async () => {
      const user = `user-${Math.random()}`;
      const [a, b, pending] = [1, 2, 3].map(() => `sid-${Math.random()}`);
      const before = Date.now();
      await call((cb) => store.set(a, session(user, 60_000), cb));
      await call((cb) => store.set(b, session(user, 60_000), cb));
      // Not signed in yet (between password and code): nobody's session.
      await call((cb) => store.set(pending, { cookie: session(user, 60_000).cookie } as unknown as SessionData, cb));
      const listed = await backend.listUser(user);
      expect(listed.map((s) => s.sid).sort()).toEqual([a, b].sort());
      for (const s of listed) expect(s.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);

      await new Promise((r) => setTimeout(r, 30));
      const touchedAt = Date.now();
      await call((cb) => store.touch(a, session(user, 60_000), cb));
      const after = await backend.listUser(user);
      expect(after.find((s) => s.sid === a)!.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(touchedAt - 1000);
      expect(after.find((s) => s.sid === a)!.lastSeenAt!.getTime()).toBeGreaterThan(after.find((s) => s.sid === b)!.lastSeenAt!.getTime());

      // Ended or expired sessions are not listed.
      await call((cb) => store.destroy(b, cb));
      await call((cb) => store.set(b, session(user, 20), cb));
      await new Promise((r) => setTimeout(r, 60));
      expect((await backend.listUser(user)).map((s) => s.sid)).toEqual([a]);
      await backend.destroyUser(user);
      expect(await backend.listUser(user)).toEqual([]);
    });
  });
}

behavesAsASessionStore('database session store (SQLite)', async () => {
  const ds = await new DataSource({
    ...buildDataSourceOptions(new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' }).database, {
      entities: [HttpSession],
      migrations: [],
    }),
    synchronize: true,
  }).initialize();
  return { backend: new DatabaseSessionBackend(ds), close: () => ds.destroy() };
});

describe('database session store next to a transaction (SQLite)', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await new DataSource({
      ...buildDataSourceOptions(new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' }).database, {
        entities: [HttpSession],
        migrations: [],
      }),
      synchronize: true,
    }).initialize();
  });
  afterAll(() => ds?.destroy());

  it("keeps a session written while another request's transaction rolls back", async () => {
    const tx = new TransactionService(ds);
    const store = new PorticoSessionStore(new DatabaseSessionBackend(ds), 60_000);
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    let release!: () => void;
    const mayEnd = new Promise<void>((resolve) => (release = resolve));
    const failing = tx.run(async () => {
      opened();
      await mayEnd;
      throw new Error('conflict');
    });
    await isOpen;
    const written = call((cb) => store.set('sid-kept', session('u1', 60_000), cb));
    release();
    await expect(failing).rejects.toThrow('conflict');
    await written;
    expect((await call<SessionData | null>((cb) => store.get('sid-kept', cb)))?.userId).toBe('u1');
  });
});

// Redis is a real peer: under CI=true a missing REDIS_URL or server fails this suite.
const redisUrl = process.env.REDIS_URL ?? (process.env.CI === 'true' ? 'redis://127.0.0.1:6379' : null);
if (redisUrl) {
  behavesAsASessionStore('Redis session store', async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    await redis.connect();
    return { backend: new RedisSessionBackend(redis, `portico-test:${process.pid}:`), close: async () => void (await redis.quit()) };
  });
} else {
  process.stderr.write('\n  [skipped] Redis session store: set REDIS_URL to run it\n');
}
