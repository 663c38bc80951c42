import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { bulkInsert } from '../database/bulk-insert';
import { DomainEventMap, DomainEventName } from './domain-events';
import { OutboxEvent } from './outbox-event.entity';

/** Writes domain events to the outbox inside the caller's transaction (the one way to emit them). */
@Injectable()
export class OutboxService {
  async emit<K extends DomainEventName>(m: EntityManager, name: K, tenantId: string | null, data: DomainEventMap[K]): Promise<void> {
    const row = m.create(OutboxEvent, { name, tenantId, data: data as unknown as Record<string, unknown> });
    await m.insert(OutboxEvent, row as QueryDeepPartialEntity<OutboxEvent>);
  }

  /** Many events of one kind in a few multi-row inserts (a billing run emits one per charge). */
  async emitMany<K extends DomainEventName>(
    m: EntityManager,
    name: K,
    events: { tenantId: string | null; data: DomainEventMap[K] }[],
  ): Promise<void> {
    const rows = events.map((e) =>
      m.create(OutboxEvent, { name, tenantId: e.tenantId, data: e.data as unknown as Record<string, unknown> }),
    );
    await bulkInsert(m, OutboxEvent, rows, ['id', 'name', 'tenantId', 'data', 'occurredAt', 'dispatchedAt']);
  }
}
