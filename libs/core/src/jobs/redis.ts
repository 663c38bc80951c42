import { Logger, ServiceUnavailableException } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/** How long a caller waits for a connection that is not ready yet (at boot, or reconnecting) before a 503. */
const READY_WAIT_MS = 1_000;

/**
 * Options for connections whose callers must not wait while Redis is away (enqueueing, sessions,
 * publishing): a command fails at once instead of queueing in memory, a silent server times out,
 * and the connection keeps reconnecting on its own so callers recover when Redis is back.
 */
export const FAIL_FAST_REDIS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  retryStrategy: (times) => Math.min(times * 250, 2_000),
};

/** A 503 whose message says what is missing, for any call that needs Redis while it does not answer. */
export class RedisUnavailableError extends ServiceUnavailableException {
  constructor(what: string) {
    super(`Portico cannot reach Redis (${what}): try again in a moment`);
  }
}

/**
 * A connection to REDIS_URL that logs an outage once (not at every reconnect attempt) and says when
 * Redis answers again. Error texts name host and port, never the URL's password.
 */
export function connectRedis(url: string, purpose: string, options: RedisOptions = FAIL_FAST_REDIS): Redis {
  const logger = new Logger('Redis');
  const client = new Redis(url, options);
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis (${purpose}) does not answer: ${err.message}`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log(`Redis (${purpose}) answers again`);
  });
  return client;
}

/** Resolves once `client` can take commands; a RedisUnavailableError when it cannot within a moment. */
export async function whenRedisReady(client: Redis, what: string, waitMs = READY_WAIT_MS): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'end') throw new RedisUnavailableError(what);
  if (client.status === 'wait') client.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', ready);
      reject(new RedisUnavailableError(what));
    }, waitMs);
    client.once('ready', ready);
  });
}

/** Runs `command` once the connection is ready; any Redis failure becomes a RedisUnavailableError. */
export async function onRedis<T>(client: Redis, what: string, command: () => Promise<T>): Promise<T> {
  await whenRedisReady(client, what);
  try {
    return await command();
  } catch (err) {
    throw err instanceof RedisUnavailableError ? err : new RedisUnavailableError(what);
  }
}

/** Whether Redis answers a PING within `timeoutMs`. */
export async function redisAnswers(client: Redis, timeoutMs = READY_WAIT_MS): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      client.ping().then((reply) => reply === 'PONG'),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Closes politely when Redis answers, at once when it does not (QUIT would wait for a connection). */
export async function closeRedis(client: Redis | null | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  if (client.status !== 'ready') return client.disconnect();
  await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, READY_WAIT_MS).unref())]);
  client.disconnect();
}
