import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * REDIS_URL for suites that need Redis (BullMQ mode), or null after saying loudly that they were
 * skipped. Under CI=true a missing Redis fails the suite instead.
 */
export function redisForTests(suite: string): string | null {
  const url = process.env.REDIS_URL;
  if (url) return url;
  if (process.env.CI === 'true') throw new Error(`REDIS_URL is not set, but CI=true requires Redis for ${suite}`);
  process.stderr.write(`\n  [skipped] ${suite}: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run it\n\n`);
  return null;
}

/** A queue prefix of one's own, so suites sharing a Redis never take each other's jobs. */
export function uniqueJobsPrefix(): string {
  return `portico-test-${randomBytes(6).toString('hex')}`;
}

/** Removes every key under the prefix (BullMQ keys are `<prefix>:<queue>:…`). */
export async function dropJobsPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
