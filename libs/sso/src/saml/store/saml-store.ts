import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppConfig, closeRedis, connectRedis, Every, isUniqueViolation, onRedis, TransactionService } from '@portico/core';
import type { Redis } from 'ioredis';
import type { SamlRequestPurpose } from '../entities/saml-request.entity';
import { SamlRepository } from '../saml.repository';

export interface PendingRequest {
  purpose: SamlRequestPurpose;
  payload: string | null;
}

/** Server-side, single-use SAML state shared by every instance: request ids, test results, seen assertion ids. */
interface Backend {
  put(tenantId: string, id: string, value: PendingRequest, expiresAt: Date): Promise<void>;
  /** Removes and returns the entry: of two instances taking the same id at once, only one gets it. */
  take(tenantId: string, id: string): Promise<PendingRequest | null>;
  /** True the first time an assertion id is seen for the tenant (until `expiresAt`). */
  firstUse(tenantId: string, assertionId: string, expiresAt: Date): Promise<boolean>;
  close(): Promise<void>;
}

class DatabaseBackend implements Backend {
  private readonly sweeping = new Every(60_000);

  constructor(
    private readonly tx: TransactionService,
    private readonly repository: SamlRepository,
  ) {}

  async put(tenantId: string, requestId: string, value: PendingRequest, expiresAt: Date): Promise<void> {
    await this.sweep();
    await this.tx.run(() => this.repository.replaceRequest(tenantId, requestId, value.purpose, value.payload, expiresAt));
  }

  async take(tenantId: string, requestId: string): Promise<PendingRequest | null> {
    return this.tx.run(async () => {
      const row = await this.repository.takeRequest(tenantId, requestId);
      if (!row || row.expiresAt.getTime() <= Date.now()) return null;
      return { purpose: row.purpose, payload: row.payload };
    });
  }

  async firstUse(tenantId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    await this.sweep();
    try {
      await this.tx.run(() => this.repository.recordAssertion(tenantId, assertionId, expiresAt));
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async close(): Promise<void> {}

  // Expired rows go now and then, on a write, rather than by a timer.
  private async sweep(): Promise<void> {
    if (!this.sweeping.due()) return;
    const now = new Date();
    await this.tx.run(() => this.repository.deleteExpired(now));
  }
}

const WHAT = 'SAML requests';

class RedisBackend implements Backend {
  constructor(private readonly redis: Redis) {}

  async put(tenantId: string, id: string, value: PendingRequest, expiresAt: Date): Promise<void> {
    await onRedis(this.redis, WHAT, () =>
      this.redis.set(`portico:saml:req:${tenantId}:${id}`, JSON.stringify(value), 'PX', ttl(expiresAt)),
    );
  }

  async take(tenantId: string, id: string): Promise<PendingRequest | null> {
    const raw = await onRedis(this.redis, WHAT, () => this.redis.getdel(`portico:saml:req:${tenantId}:${id}`));
    return raw ? (JSON.parse(raw) as PendingRequest) : null;
  }

  async firstUse(tenantId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    const set = () => this.redis.set(`portico:saml:seen:${tenantId}:${assertionId}`, '1', 'PX', ttl(expiresAt), 'NX');
    return (await onRedis(this.redis, WHAT, set)) === 'OK';
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}

function ttl(expiresAt: Date): number {
  return Math.max(1000, expiresAt.getTime() - Date.now());
}

/** The database on the embedded default, Redis when REDIS_URL is set (as for sessions). */
@Injectable()
export class SamlStore implements OnModuleDestroy {
  private readonly backend: Backend;

  constructor(config: AppConfig, tx: TransactionService, repository: SamlRepository) {
    this.backend = config.redisUrl ? new RedisBackend(connectRedis(config.redisUrl, WHAT)) : new DatabaseBackend(tx, repository);
  }

  put(tenantId: string, id: string, value: PendingRequest, expiresAt: Date): Promise<void> {
    return this.backend.put(tenantId, id, value, expiresAt);
  }

  take(tenantId: string, id: string): Promise<PendingRequest | null> {
    return this.backend.take(tenantId, id);
  }

  firstUse(tenantId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    return this.backend.firstUse(tenantId, assertionId, expiresAt);
  }

  async onModuleDestroy(): Promise<void> {
    await this.backend.close();
  }
}
