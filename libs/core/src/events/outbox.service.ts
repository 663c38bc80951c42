import { Injectable } from '@nestjs/common';
import { bulkInsert } from '../database/bulk-insert';
import { insertRows } from '../database/insert-rows';
import { TransactionService } from '../database/transaction.service';
import { DomainEventMap, DomainEventName } from './domain-events';
import { OutboxEvent } from './outbox-event.entity';

/**
 * Writes domain events to the outbox inside the caller's transaction (the one way to emit them), and
 * tells whoever listens (the dispatcher of this process) once that transaction has committed.
 */
@Injectable()
export class OutboxService {
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly tx: TransactionService) {}

  /** `listener` runs after every commit that wrote events in this process. */
  onCommitted(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Writes one event in the transaction under way (or on its own outside one). */
  async emit<K extends DomainEventName>(name: K, tenantId: string | null, data: DomainEventMap[K]): Promise<void> {
    const m = this.tx.manager;
    await insertRows(m, OutboxEvent, m.create(OutboxEvent, { name, tenantId, data: data as unknown as Record<string, unknown> }));
    this.committed(m);
  }

  /** Many events of one kind in a few multi-row inserts (a billing run emits one per charge). */
  async emitMany<K extends DomainEventName>(name: K, events: { tenantId: string | null; data: DomainEventMap[K] }[]): Promise<void> {
    const m = this.tx.manager;
    const rows = events.map((e) =>
      m.create(OutboxEvent, { name, tenantId: e.tenantId, data: e.data as unknown as Record<string, unknown> }),
    );
    await bulkInsert(m, OutboxEvent, rows, ['id', 'name', 'tenantId', 'data', 'occurredAt', 'dispatchedAt']);
    this.committed(m);
  }

  private committed(m: TransactionService['manager']): void {
    if (this.listeners.length) this.tx.afterCommit(m, () => this.listeners.forEach((listener) => listener()));
  }
}
