import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The one way to open a transaction. A `run` inside another `run` joins the outer transaction, so a
 * flow that calls several facades (signup: organization, user, membership) commits or fails as one.
 * SQLite has a single connection and a single writer, so its transactions are queued here rather
 * than interleaved on that connection.
 */
@Injectable()
export class TransactionService {
  private readonly current = new AsyncLocalStorage<EntityManager>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  /** The manager of the transaction in progress, or the plain one outside any. */
  get manager(): EntityManager {
    return this.current.getStore() ?? this.dataSource.manager;
  }

  get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outer = this.current.getStore();
    if (outer) return work(outer);
    const start = () => this.dataSource.transaction((m) => this.current.run(m, () => work(m)));
    if (this.isPostgres) return start();
    const next = this.queue.then(start);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
