import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Every } from '../database/prune';
import { JobQueue } from '../jobs/job-queue';
import { JobRegistry } from '../jobs/job-registry';
import { DomainEventName } from './domain-events';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { DispatchedEvent, OutboxBatch } from './outbox-subscriber';

const BATCH = 500;
// Events written by this process wake the dispatcher when their transaction commits; the poll finds
// those of other processes (servers when dedicated workers dispatch, the billing CLI).
const IDLE_POLL_MS = 100;
const ERROR_BACKOFF_MS = 2000;
const PRUNE_EVERY_MS = 3_600_000;
// Long enough to enqueue a batch (enqueueing fails within seconds when Redis is away).
const CLAIM_LEASE_MS = 30_000;

/**
 * Turns committed outbox rows into jobs for every @OutboxSubscriber, wherever jobs are processed.
 * A batch is claimed under a lease (committed: no transaction waits on the job queue), enqueued, then
 * marked dispatched. If enqueueing fails the claim is released and the rows are tried again; if the
 * process dies the lease runs out. A batch may so be enqueued twice, under the same job id (BullMQ
 * adds it once while the first is queued; subscribers are idempotent per event). On PostgreSQL,
 * SKIP LOCKED lets any number of processes claim side by side without taking the same rows.
 */
@Injectable()
export class OutboxDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private again = false;
  private readonly pruning = new Every(PRUNE_EVERY_MS);

  constructor(
    private readonly repository: OutboxRepository,
    private readonly jobs: JobQueue,
    private readonly registry: JobRegistry,
    private readonly config: AppConfig,
    private readonly outbox: OutboxService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.jobs.processesHere || !this.registry.outboxSubscribers().length) return;
    this.outbox.onCommitted(() => this.wake());
    this.schedule(0);
  }

  /** New events were committed here: dispatch now rather than at the next poll. */
  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Claims and enqueues one batch; the number of events dispatched. */
  async dispatchOnce(): Promise<number> {
    const subscribers = this.registry.outboxSubscribers();
    if (!subscribers.length) return 0;
    if (!(await this.repository.anyClaimable(new Date()))) return 0;
    // Rows are claimed only when they can be enqueued now: while Redis is away nobody holds them.
    if (!(await this.jobs.available())) throw new Error('the job queue does not answer');
    const now = new Date();
    const rows = await this.repository.claim(now, new Date(now.getTime() + CLAIM_LEASE_MS), BATCH);
    if (!rows.length) return 0;
    const ids = rows.map((r) => r.id);
    const batch: OutboxBatch = { events: rows.map(toDispatched) };
    const batchId = createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 32);
    try {
      for (const name of subscribers) await this.jobs.enqueue(name, batch, { jobId: `outbox.${batchId}` });
    } catch (err) {
      await this.repository.release(ids);
      throw err;
    }
    await this.repository.markDispatched(ids, new Date());
    return rows.length;
  }

  /** Deletes events dispatched more than OUTBOX_RETENTION_DAYS ago; how many went. */
  async prune(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.config.outboxRetentionDays * 86_400_000);
    return this.repository.pruneDispatchedBefore(before);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().then((next) => {
        // Cleared and rescheduled in one step: a wake() in between finds either a run or a timer.
        this.running = null;
        this.schedule(this.again ? 0 : next);
        this.again = false;
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One dispatch (and now and then a prune); the delay before the next. Never rejects. */
  private async tick(): Promise<number> {
    try {
      const count = await this.dispatchOnce();
      if (count === BATCH) return 0;
      if (this.pruning.due())
        await this.prune().catch((err: unknown) =>
          this.logger.warn(`Deleting old outbox events failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      return IDLE_POLL_MS;
    } catch (err) {
      this.logger.warn(`Dispatching domain events failed, retrying: ${err instanceof Error ? err.message : String(err)}`);
      return ERROR_BACKOFF_MS;
    }
  }
}

function toDispatched(e: OutboxEvent): DispatchedEvent {
  return { id: e.id, name: e.name as DomainEventName, tenantId: e.tenantId, data: e.data, occurredAt: e.occurredAt.toISOString() };
}
