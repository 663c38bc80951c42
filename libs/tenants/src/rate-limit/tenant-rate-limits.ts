import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig, Broadcast, DoorLimiter, RateLimits, RatePolicy, RateVerdict } from '@portico/core';
import { TenantsRepository } from '../tenants.repository';

const CHANGED = 'tenants.rate-limit-changed';
// As long as a verified API key is remembered: a change reaches other instances at once over Redis, else within this.
const REMEMBER_MS = 5_000;

/** Each tenant's API rate limit (its own, or the global default), remembered briefly per instance. */
@Injectable()
export class TenantRateLimits {
  private readonly policies = new Map<string, { policy: RatePolicy; until: number }>();
  private readonly limiters = new Map<string, DoorLimiter | null>();

  constructor(
    private readonly repo: TenantsRepository,
    private readonly config: AppConfig,
    private readonly limits: RateLimits,
    private readonly broadcast: Broadcast,
  ) {
    broadcast.subscribe(CHANGED, (tenantId) => this.policies.delete(tenantId));
  }

  /** Counts one request of the tenant; null when its limit is off. */
  async consume(tenantId: string): Promise<{ limiter: DoorLimiter; verdict: RateVerdict } | null> {
    const limiter = this.limiterFor(await this.policyFor(tenantId));
    return limiter ? { limiter, verdict: await limiter.consume(`tenant:${tenantId}`) } : null;
  }

  /** Counts one API call of the tenant: the RateLimit fields on `res`, and past the limit a 429 thrown with Retry-After. */
  async enforce(tenantId: string, res: Response): Promise<void> {
    const counted = await this.consume(tenantId);
    if (!counted) return;
    counted.limiter.describe(res, counted.verdict);
    if (!counted.verdict.allowed) throw counted.limiter.refusal(counted.verdict);
  }

  /** Drops what this and the other instances remember of the tenant's limit. */
  async forget(tenantId: string): Promise<void> {
    this.policies.delete(tenantId);
    await this.broadcast.publish(CHANGED, tenantId);
  }

  private async policyFor(tenantId: string): Promise<RatePolicy> {
    const now = Date.now();
    const known = this.policies.get(tenantId);
    if (known && known.until > now) return known.policy;
    const row = await this.repo.findIntegration(tenantId);
    const policy =
      row?.rateLimitPerSecond != null ? { perSecond: row.rateLimitPerSecond, burst: row.rateLimitBurst ?? 0 } : this.config.rateLimits.api;
    this.policies.set(tenantId, { policy, until: now + REMEMBER_MS });
    return policy;
  }

  // One limiter per distinct policy: all share the counters' key space, so a changed limit keeps the count.
  private limiterFor(policy: RatePolicy): DoorLimiter | null {
    const id = `${policy.perSecond}/${policy.burst}`;
    if (!this.limiters.has(id)) this.limiters.set(id, this.limits.limiter('tenant', policy));
    return this.limiters.get(id)!;
  }
}
