import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { ConnectionQueue, connectionQueue } from './connection-queue';

/** One transaction of ours: its manager once it has begun, and whether it is still open. */
interface Frame {
  manager: EntityManager | null;
  open: boolean;
}

/**
 * The one way to open a transaction. A `run` inside another `run` joins the outer transaction, so a
 * flow that calls several facades (signup: organization, user, membership) commits or fails as one.
 * SQLite has a single connection: a transaction holds it through the connection's queue, and every
 * other statement waits there until the transaction ends (see ConnectionQueue).
 */
@Injectable()
export class TransactionService {
  private readonly current = new AsyncLocalStorage<Frame>();
  private readonly afterCommitHooks = new WeakMap<EntityManager, (() => void)[]>();
  private readonly queue: ConnectionQueue | null;

  constructor(private readonly dataSource: DataSource) {
    this.queue = connectionQueue(dataSource);
  }

  /** The manager of the transaction in progress, or the plain one outside any. */
  get manager(): EntityManager {
    return this.open() ?? this.dataSource.manager;
  }

  /** The transaction this async context runs in while it is still open (work a transaction left running can outlive it). */
  private open(): EntityManager | undefined {
    const frame = this.current.getStore();
    return frame?.open && frame.manager?.queryRunner?.isTransactionActive ? frame.manager : undefined;
  }

  get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  /**
   * Runs `hook` once the transaction under way (or the one `m` belongs to) has committed; a rollback
   * drops it. Outside a transaction of ours it runs on the next turn of the event loop. Hooks must not throw.
   */
  afterCommit(hook: () => void): void;
  afterCommit(m: EntityManager, hook: () => void): void;
  afterCommit(first: EntityManager | (() => void), second?: () => void): void {
    const [m, hook] = typeof first === 'function' ? [this.manager, first] : [first, second!];
    const hooks = this.afterCommitHooks.get(m);
    if (hooks) hooks.push(hook);
    else setImmediate(hook);
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outer = this.open();
    if (outer) return work(outer);
    const frame: Frame = { manager: null, open: true };
    const hooks: (() => void)[] = [];
    let release: (() => void) | undefined;
    let result: T;
    try {
      if (this.queue) release = await this.queue.hold(() => this.current.getStore() === frame);
      // BEGIN and COMMIT run in the frame's context too: the queue lets them through as the holder's.
      result = await this.current.run(frame, () =>
        this.dataSource.transaction(async (m) => {
          frame.manager = m;
          this.afterCommitHooks.set(m, hooks);
          return work(m);
        }),
      );
    } finally {
      frame.open = false;
      release?.();
    }
    for (const hook of hooks) hook();
    return result;
  }
}
