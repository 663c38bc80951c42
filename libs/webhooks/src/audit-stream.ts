import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AUDIT_EVENT, AuditService, Broadcast } from '@portico/core';
import { WebhooksRepository } from './webhooks.repository';

const CHANGED = 'webhooks.audit-subscribers-changed';
// A changed subscription reaches the other instances over Redis at once; this bounds a lost message.
const REFRESH_MS = 60_000;

/**
 * Decides, without a query, whether an audit event must also go out as the `audit.event` webhook:
 * only when an enabled endpoint subscribes to it (the event's tenant's own, or a platform endpoint,
 * which gets every tenant's). Everywhere else audit costs its one insert, as before.
 */
@Injectable()
export class AuditStream implements OnApplicationBootstrap, OnModuleDestroy {
  private platform = false;
  private tenants = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly audit: AuditService,
    private readonly broadcast: Broadcast,
  ) {
    broadcast.subscribe(CHANGED, () => void this.refresh());
  }

  async onApplicationBootstrap(): Promise<void> {
    this.audit.streamWhen((tenantId) => this.platform || (tenantId !== null && this.tenants.has(tenantId)));
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS).unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** After an endpoint was created, changed or deleted (its transaction committed): here at once, elsewhere over Redis. */
  async changed(): Promise<void> {
    await this.refresh();
    await this.broadcast.publish(CHANGED, 'audit');
  }

  private async refresh(): Promise<void> {
    try {
      const subscribers = await this.repo.enabledSubscribers(AUDIT_EVENT);
      this.platform = subscribers.some((e) => e.tenantId === null);
      this.tenants = new Set(subscribers.map((e) => e.tenantId).filter((id): id is string => id !== null));
    } catch {
      // The database is away: keep what was known; the next change or refresh tries again.
    }
  }
}
