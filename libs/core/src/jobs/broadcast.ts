import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { closeRedis, connectRedis, FAIL_FAST_REDIS } from './redis';

type Listener = (id: string) => void;

/**
 * Tells the other processes of the deployment that something changed (a key revoked, a tenant
 * suspended), so they drop what they remember of it at once. A message carries a topic and an id,
 * never a secret. Delivery is best effort: whoever caches keeps a short bound as the fallback.
 */
export abstract class Broadcast {
  protected readonly listeners = new Map<string, Listener[]>();

  /** Calls `listener` with the id of every `topic` message another process publishes. */
  subscribe(topic: string, listener: Listener): void {
    this.listeners.set(topic, [...(this.listeners.get(topic) ?? []), listener]);
  }

  /** Sends `id` to the other processes' listeners of `topic`; never rejects. */
  abstract publish(topic: string, id: string): Promise<void>;
}

/** Without Redis there is nobody to tell: a single process, or instances that rely on the fallback. */
@Injectable()
export class LocalBroadcast extends Broadcast {
  async publish(): Promise<void> {}
}

/** Redis pub/sub on `<JOBS_PREFIX>:broadcast`, the deployment's own channel. */
@Injectable()
export class RedisBroadcast extends Broadcast implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Broadcast');
  private readonly channel: string;
  private readonly publisher: Redis;
  private subscriber: Redis | null = null;

  constructor(private readonly config: AppConfig) {
    super();
    this.channel = `${config.jobsPrefix}:broadcast`;
    this.publisher = connectRedis(config.redisUrl!, 'broadcast');
  }

  onApplicationBootstrap(): void {
    // Queues SUBSCRIBE until Redis answers, and subscribes again after every reconnect.
    const { enableOfflineQueue: _queued, maxRetriesPerRequest: _retries, commandTimeout: _timeout, ...reconnecting } = FAIL_FAST_REDIS;
    this.subscriber = connectRedis(this.config.redisUrl!, 'broadcast subscriber', { ...reconnecting, maxRetriesPerRequest: null });
    this.subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
    this.subscriber.subscribe(this.channel).catch((err: unknown) => this.logger.warn(`Subscribing failed: ${String(err)}`));
  }

  async publish(topic: string, id: string): Promise<void> {
    try {
      await this.publisher.publish(this.channel, JSON.stringify({ topic, id }));
    } catch (err) {
      this.logger.warn(`Could not tell the other instances (${topic}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([closeRedis(this.publisher), closeRedis(this.subscriber)]);
  }

  private deliver(message: string): void {
    let parsed: { topic?: unknown; id?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.topic !== 'string' || typeof parsed.id !== 'string') return;
    for (const listener of this.listeners.get(parsed.topic) ?? []) {
      try {
        listener(parsed.id);
      } catch (err) {
        this.logger.error(`A ${parsed.topic} listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
