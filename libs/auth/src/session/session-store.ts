import type { Redis } from 'ioredis';
import type { RequestHandler } from 'express';
import { Store, type SessionData } from 'express-session';
import { LessThan, type DataSource } from 'typeorm';
import { deleteRows, Every, findOneFast, findRows, insertRows, onRedis, updateRows, whenRedisReady } from '@portico/core';
import { HttpSession } from '../entities/http-session.entity';

/** One live session of a user, as the store holds it. */
export interface StoredSession {
  sid: string;
  data: string;
  /** When a request last used it (null: not since it was written, or before this was recorded). */
  lastSeenAt: Date | null;
}

/** Where session data lives: the database on the embedded default, Redis when REDIS_URL is set. */
export interface SessionBackend {
  get(sid: string): Promise<string | null>;
  /** `userId`: who the session signs in (null before sign-in), so destroyUser can find it. */
  set(sid: string, data: string, expiresAt: Date, userId?: string | null): Promise<void>;
  /** A request used the session: it lives on, and (signed in) was last seen now. */
  touch(sid: string, expiresAt: Date, userId?: string | null): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** Ends every session of a user. */
  destroyUser(userId: string): Promise<void>;
  /** The user's sessions that have not expired. */
  listUser(userId: string): Promise<StoredSession[]>;
  /**
   * Null when the store answers now; else a promise that rejects (a 503) unless it answers within a
   * moment. Absent when the store is the database itself.
   */
  whenAvailable?(): Promise<void> | null;
}

export class DatabaseSessionBackend implements SessionBackend {
  private readonly sweeping = new Every(60_000);

  constructor(private readonly dataSource: DataSource) {}

  async get(sid: string): Promise<string | null> {
    const row = await findOneFast(this.dataSource.manager, HttpSession, { sid });
    if (!row) return null;
    if (row.expiresAt.getTime() <= Date.now()) {
      await this.destroy(sid);
      return null;
    }
    return row.data;
  }

  async set(sid: string, data: string, expiresAt: Date, userId: string | null = null): Promise<void> {
    const m = this.dataSource.manager;
    // One statement: INSERT … ON CONFLICT (sid) DO UPDATE, on SQLite and PostgreSQL alike.
    const lastSeenAt = userId ? new Date() : null;
    await insertRows(m, HttpSession, m.create(HttpSession, { sid, data, expiresAt, userId, lastSeenAt }), {
      upsert: { target: ['sid'], set: ['data', 'expiresAt', 'userId', 'lastSeenAt'] },
    });
    await this.sweep();
  }

  async touch(sid: string, expiresAt: Date, userId: string | null = null): Promise<void> {
    await updateRows(this.dataSource.manager, HttpSession, { sid }, userId ? { expiresAt, lastSeenAt: new Date() } : { expiresAt });
  }

  async destroy(sid: string): Promise<void> {
    await deleteRows(this.dataSource.manager, HttpSession, { sid });
  }

  async destroyUser(userId: string): Promise<void> {
    await deleteRows(this.dataSource.manager, HttpSession, { userId });
  }

  async listUser(userId: string): Promise<StoredSession[]> {
    const now = Date.now();
    const rows = await findRows(this.dataSource.manager, HttpSession, { userId });
    return rows.filter((r) => r.expiresAt.getTime() > now).map((r) => ({ sid: r.sid, data: r.data, lastSeenAt: r.lastSeenAt }));
  }

  // Expired rows are removed now and then, on a write, rather than by a separate timer.
  private async sweep(): Promise<void> {
    if (!this.sweeping.due()) return;
    await this.dataSource.manager.delete(HttpSession, { expiresAt: LessThan(new Date()) });
  }
}

const USER_INDEX_TTL_MS = 31 * 24 * 3_600_000;

const SESSIONS = 'sessions';

/** Sessions in Redis. While Redis does not answer, every call fails at once with a 503 saying so. */
export class RedisSessionBackend implements SessionBackend {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'portico:sess:',
  ) {}

  whenAvailable(): Promise<void> | null {
    return this.redis.status === 'ready' ? null : whenRedisReady(this.redis, SESSIONS);
  }

  get(sid: string): Promise<string | null> {
    return onRedis(this.redis, SESSIONS, () => this.redis.get(this.prefix + sid));
  }

  set(sid: string, data: string, expiresAt: Date, userId: string | null = null): Promise<void> {
    return onRedis(this.redis, SESSIONS, () => this.write(sid, data, expiresAt, userId));
  }

  private async write(sid: string, data: string, expiresAt: Date, userId: string | null): Promise<void> {
    if (!userId) {
      await this.redis.set(this.prefix + sid, data, 'PX', ttl(expiresAt));
      return;
    }
    // The user's index of session ids outlives any session (SESSION_ABSOLUTE_HOURS is at most 30
    // days), so a session kept alive by touches alone is still found; ids of sessions that ended on
    // their own are harmless in it (deleting a missing key is a no-op).
    const index = this.userIndex(userId);
    const seen = this.seenIndex(userId);
    await this.redis
      .multi()
      .set(this.prefix + sid, data, 'PX', ttl(expiresAt))
      .sadd(index, sid)
      .pexpire(index, USER_INDEX_TTL_MS)
      .hset(seen, sid, String(Date.now()))
      .pexpire(seen, USER_INDEX_TTL_MS)
      .exec();
  }

  async touch(sid: string, expiresAt: Date, userId: string | null = null): Promise<void> {
    if (!userId) {
      await onRedis(this.redis, SESSIONS, () => this.redis.pexpire(this.prefix + sid, ttl(expiresAt)));
      return;
    }
    // Last seen rides in the same round trip as the expiry.
    const seen = this.seenIndex(userId);
    await onRedis(this.redis, SESSIONS, () =>
      this.redis
        .multi()
        .pexpire(this.prefix + sid, ttl(expiresAt))
        .hset(seen, sid, String(Date.now()))
        .pexpire(seen, USER_INDEX_TTL_MS)
        .exec(),
    );
  }

  async destroy(sid: string): Promise<void> {
    await onRedis(this.redis, SESSIONS, () => this.redis.del(this.prefix + sid));
  }

  async destroyUser(userId: string): Promise<void> {
    const index = this.userIndex(userId);
    await onRedis(this.redis, SESSIONS, async () => {
      const sids = await this.redis.smembers(index);
      await this.redis.del(index, this.seenIndex(userId), ...sids.map((sid) => this.prefix + sid));
    });
  }

  async listUser(userId: string): Promise<StoredSession[]> {
    const index = this.userIndex(userId);
    const seen = this.seenIndex(userId);
    return onRedis(this.redis, SESSIONS, async () => {
      const sids = await this.redis.smembers(index);
      if (!sids.length) return [];
      const [data, seenAt] = await Promise.all([this.redis.mget(...sids.map((sid) => this.prefix + sid)), this.redis.hmget(seen, ...sids)]);
      const live: StoredSession[] = [];
      const gone: string[] = [];
      sids.forEach((sid, i) => {
        const raw = data[i];
        if (raw === null || raw === undefined) return void gone.push(sid);
        const at = seenAt[i];
        live.push({ sid, data: raw, lastSeenAt: at ? new Date(Number(at)) : null });
      });
      // Sessions that ended on their own leave their ids behind: tidy them while we are here.
      if (gone.length)
        await this.redis
          .multi()
          .srem(index, ...gone)
          .hdel(seen, ...gone)
          .exec();
      return live;
    });
  }

  private userIndex(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  /** When each of a user's sessions was last used (session id → epoch ms), beside the index. */
  private seenIndex(userId: string): string {
    return `${this.prefix}seen:${userId}`;
  }
}

function ttl(expiresAt: Date): number {
  return Math.max(1, expiresAt.getTime() - Date.now());
}

/**
 * `sessions` (express-session) behind a check that the store answers: otherwise a page would be
 * rendered and its session (its CSRF token, a sign-in) lost as the response ends. While Redis is
 * away a page that needs a session answers 503 at once.
 */
export function whileStoreAnswers(backend: SessionBackend, sessions: RequestHandler): RequestHandler {
  if (!backend.whenAvailable) return sessions;
  return (req, res, next) => {
    const waiting = backend.whenAvailable!();
    if (!waiting) return sessions(req, res, next);
    waiting.then(
      () => sessions(req, res, next),
      (err: unknown) => next(err),
    );
  };
}

/** express-session's Store over either backend. */
export class PorticoSessionStore extends Store {
  constructor(
    private readonly backend: SessionBackend,
    private readonly idleMs: number,
  ) {
    super();
  }

  private expiry(session: SessionData): Date {
    return session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.idleMs);
  }

  override get(sid: string, cb: (err: unknown, session?: SessionData | null) => void): void {
    this.backend.get(sid).then(
      (raw) => {
        if (!raw) return cb(null, null);
        try {
          cb(null, JSON.parse(raw) as SessionData);
        } catch {
          cb(null, null);
        }
      },
      (err) => cb(err),
    );
  }

  override set(sid: string, session: SessionData, cb?: (err?: unknown) => void): void {
    this.backend.set(sid, JSON.stringify(session), this.expiry(session), session.userId ?? null).then(
      () => cb?.(),
      (err) => cb?.(err),
    );
  }

  override touch(sid: string, session: SessionData, cb?: (err?: unknown) => void): void {
    this.backend.touch(sid, this.expiry(session), session.userId ?? null).then(
      () => cb?.(),
      (err) => cb?.(err),
    );
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.backend.destroy(sid).then(
      () => cb?.(),
      (err) => cb?.(err),
    );
  }
}
