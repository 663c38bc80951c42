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
  private readonly afterCommitHooks = new WeakMap<EntityManager, (() => void)[]>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Transactions whose work is running: the async context is tracked only while there is one. */
  private active = 0;

  constructor(private readonly dataSource: DataSource) {}

  /** The manager of the transaction in progress, or the plain one outside any. */
  get manager(): EntityManager {
    return this.open() ?? this.dataSource.manager;
  }

  /**
   * The transaction this async context runs in while it is still open. Work a transaction left
   * running can outlive it, and on Node 22 and later the disabled storage still answers its store.
   */
  private open(): EntityManager | undefined {
    const m = this.current.getStore();
    return m?.queryRunner?.isTransactionActive ? m : undefined;
  }

  get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  /**
   * Runs `hook` once the transaction `m` belongs to has committed; a rollback drops it. Outside a
   * transaction of ours it runs on the next turn of the event loop. Hooks must not throw.
   */
  afterCommit(m: EntityManager, hook: () => void): void {
    const hooks = this.afterCommitHooks.get(m);
    if (hooks) hooks.push(hook);
    else setImmediate(hook);
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outer = this.open();
    if (outer) return work(outer);
    const start = async () => {
      const hooks: (() => void)[] = [];
      const result = await this.dataSource.transaction(async (m) => {
        this.afterCommitHooks.set(m, hooks);
        this.active++;
        try {
          return await this.current.run(m, () => work(m));
        } finally {
          this.leave();
        }
      });
      for (const hook of hooks) hook();
      return result;
    };
    if (this.isPostgres) return start();
    const next = this.queue.then(start);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * On Node 20 an AsyncLocalStorage that has been run once keeps a hook on every promise the process
   * creates, for good: about a twentieth of an API read's CPU. Disabling it when the last transaction's
   * work is done switches the hook off until the next transaction; there is then no context to keep.
   */
  private leave(): void {
    if (--this.active === 0) this.current.disable();
  }
}
