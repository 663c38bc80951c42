import { HttpException, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type IRateLimiterOptions,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config';
import { closeRedis, connectRedis, FAIL_FAST_REDIS } from '../jobs/redis';
import { CounterMetric, Metrics } from '../metrics/metrics.service';
import type { RatePolicy } from './rate-limit-config';

/** What a limiter decided for one request. */
export interface RateVerdict {
  allowed: boolean;
  /** Requests left in the current second (0 once the burst allowance is being spent). */
  remaining: number;
  /** Milliseconds until the current window ends (refused: until a retry can pass). */
  resetMs: number;
}

const BURST_WINDOW_S = 10;

/**
 * One limiter, rate-limiter-flexible, for every public door: counters in Redis when REDIS_URL is
 * set (shared by all instances), in memory otherwise. A Redis outage lets requests through (fail
 * open): one log line when it starts, one when Redis answers again, and a counter.
 */
@Injectable()
export class RateLimits implements OnModuleDestroy {
  private readonly logger = new Logger('RateLimits');
  private redis: Redis | null = null;
  private failingOpen = false;
  private readonly failOpenCounter: CounterMetric;
  /** @internal each door's refusals. */
  readonly refusals: CounterMetric<'door'>;
  /** Requests let through because the counters' store did not answer. */
  failedOpen = 0;

  constructor(
    private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.failOpenCounter = metrics.counter({
      name: 'portico_rate_limit_fail_open_total',
      help: 'Requests let through unlimited because the rate-limit store (Redis) did not answer',
    });
    this.refusals = metrics.counter({
      name: 'portico_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit, by door',
      labelNames: ['door'],
    });
  }

  /** A limiter named `name` (the policy's name in the RateLimit fields); null when the policy is off. */
  limiter(name: string, policy: RatePolicy): DoorLimiter | null {
    if (policy.perSecond <= 0) return null;
    return new DoorLimiter(name, policy, this.store(name, policy), this);
  }

  /**
   * Express middleware limiting `policy` per client address on the routes it is applied to, for
   * `methods` only (all when omitted). Past the limit: 429 with Retry-After and the RateLimit fields.
   */
  perAddress(name: string, policy: RatePolicy, methods?: string[]): RequestHandler {
    const limiter = this.limiter(name, policy);
    if (!limiter) return (_req, _res, next) => next();
    const only = methods?.map((m) => m.toUpperCase());
    return async (req: Request, res: Response, next: NextFunction) => {
      if (only && !only.includes(req.method)) return next();
      const verdict = await limiter.consume(`ip:${req.ip ?? 'unknown'}`);
      limiter.describe(res, verdict);
      if (!verdict.allowed) throw limiter.refusal(verdict);
      next();
    };
  }

  /** @internal a store failed: let the request through, say so once per outage. */
  failOpen(err: unknown): void {
    this.failedOpen++;
    this.failOpenCounter.inc();
    if (this.failingOpen) return;
    this.failingOpen = true;
    this.logger.warn(`Rate limits are not enforced while their store does not answer: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** @internal the store answered. */
  answered(): void {
    if (!this.failingOpen) return;
    this.failingOpen = false;
    this.logger.log('Rate limits are enforced again');
  }

  async onModuleDestroy(): Promise<void> {
    await closeRedis(this.redis);
  }

  private store(name: string, policy: RatePolicy): RateLimiterAbstract | BurstyRateLimiter {
    const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
      const options: IRateLimiterOptions = { keyPrefix, points, duration };
      if (!this.config.redisUrl) return new RateLimiterMemory(options);
      // Not ready (down, reconnecting): refuse at once rather than queue, so the request passes without waiting.
      return new RateLimiterRedis({ ...options, storeClient: this.connection(), rejectIfRedisNotReady: true });
    };
    const prefix = `${this.config.jobsPrefix}:rl:${name}`;
    const steady = make(prefix, policy.perSecond, 1);
    return policy.burst > 0 ? new BurstyRateLimiter(steady, make(`${prefix}:burst`, policy.burst, BURST_WINDOW_S)) : steady;
  }

  private connection(): Redis {
    // A Redis that is up but silent must not hold requests for long either: past this they pass uncounted.
    return (this.redis ??= connectRedis(this.config.redisUrl!, 'rate limits', { ...FAIL_FAST_REDIS, commandTimeout: 250 }));
  }
}

/** One door's limiter: consume never rejects (a store failure passes), describe writes the RateLimit fields. */
export class DoorLimiter {
  private readonly policyField: string;

  constructor(
    readonly name: string,
    readonly policy: RatePolicy,
    private readonly store: RateLimiterAbstract | BurstyRateLimiter,
    private readonly limits: RateLimits,
  ) {
    // draft-ietf-httpapi-ratelimit-headers-10: a quota per window, and the burst allowance as a second policy.
    const policies = [`"${name}";q=${policy.perSecond};w=1`];
    if (policy.burst > 0) policies.push(`"${name}-burst";q=${policy.burst};w=${BURST_WINDOW_S}`);
    this.policyField = policies.join(', ');
  }

  async consume(key: string, points = 1): Promise<RateVerdict> {
    try {
      const res = await this.store.consume(key, points);
      this.limits.answered();
      return { allowed: true, remaining: res.remainingPoints, resetMs: res.msBeforeNext };
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.limits.answered();
        return { allowed: false, remaining: 0, resetMs: err.msBeforeNext };
      }
      this.limits.failOpen(err);
      return { allowed: true, remaining: this.policy.perSecond, resetMs: 1000 };
    }
  }

  /** The RateLimit-Policy and RateLimit fields (and Retry-After when refused, which the metrics count). */
  describe(res: Response, verdict: RateVerdict): void {
    const seconds = Math.max(1, Math.ceil(verdict.resetMs / 1000));
    res.setHeader('RateLimit-Policy', this.policyField);
    res.setHeader('RateLimit', `"${this.name}";r=${Math.max(0, verdict.remaining)};t=${seconds}`);
    if (verdict.allowed) return;
    res.setHeader('Retry-After', String(seconds));
    this.limits.refusals.inc({ door: this.name });
  }

  /** The 429 a refused request gets (the global filter writes it as JSON or as a page). */
  refusal(verdict: RateVerdict): HttpException {
    const seconds = Math.max(1, Math.ceil(verdict.resetMs / 1000));
    return new HttpException(`Too many requests: try again in ${seconds} second${seconds === 1 ? '' : 's'}`, 429);
  }
}
