import { Injectable } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { DomainEventMap, DomainEventName } from './domain-events';
import { OutboxRepository } from './outbox.repository';

/**
 * Writes domain events to the outbox inside the caller's transaction (the one way to emit them), and
 * tells whoever listens (the dispatcher of this process) once that transaction has committed.
 */
@Injectable()
export class OutboxService {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly tx: TransactionService,
    private readonly repository: OutboxRepository,
  ) {}

  /** `listener` runs after every commit that wrote events in this process. */
  onCommitted(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Writes one event in the transaction under way (or on its own outside one). */
  async emit<K extends DomainEventName>(name: K, tenantId: string | null, data: DomainEventMap[K]): Promise<void> {
    await this.repository.insert([{ name, tenantId, data: data as unknown as Record<string, unknown> }]);
    this.committed();
  }

  /** Many events of one kind in a few multi-row inserts (a billing run emits one per charge). */
  async emitMany<K extends DomainEventName>(name: K, events: { tenantId: string | null; data: DomainEventMap[K] }[]): Promise<void> {
    await this.repository.insert(events.map((e) => ({ name, tenantId: e.tenantId, data: e.data as unknown as Record<string, unknown> })));
    this.committed();
  }

  private committed(): void {
    if (this.listeners.length) this.tx.afterCommit(() => this.listeners.forEach((listener) => listener()));
  }
}
