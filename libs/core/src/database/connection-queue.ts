import type { DataSource, QueryRunner } from 'typeorm';

interface Waiter {
  exclusive: boolean;
  go(): void;
}

/**
 * The one queue in front of a better-sqlite3 connection, which every statement shares: TypeORM's
 * (one query runner for the whole data source, inside a transaction or not), the plain-SQL helpers'
 * and the driver's own. A transaction holds the connection from BEGIN to COMMIT or ROLLBACK; a
 * statement from anywhere else waits until it ends, so it neither commits or rolls back with it nor
 * reads its uncommitted rows. Statements outside any transaction run side by side (each is its own
 * implicit transaction), and a transaction waits until those already running are done.
 */
export class ConnectionQueue {
  /** Statements outside any transaction that are running. */
  private running = 0;
  /** Tells the holder's own statements from others', while a transaction holds the connection. */
  private holder: (() => boolean) | null = null;
  private readonly waiting: Waiter[] = [];

  /** Runs one statement now when it may, or else once the transaction holding the connection has ended. */
  statement<T>(run: () => T): T | Promise<Awaited<T>> {
    if (this.holder ? this.holder() : !this.waiting.length) return this.holder ? run() : this.untracked(run);
    return new Promise<Awaited<T>>((resolve, reject) =>
      this.waiting.push({
        exclusive: false,
        go: () => {
          try {
            Promise.resolve(this.untracked(run)).then(resolve, reject);
          } catch (err) {
            reject(err);
          }
        },
      }),
    );
  }

  /**
   * Waits for the connection and holds it until the returned release is called. `own` answers
   * whether the statement being issued is the holder's (its async context, typically).
   */
  hold(own: () => boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push({
        exclusive: true,
        go: () => {
          this.holder = own;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.holder = null;
            this.next();
          });
        },
      });
      this.next();
    });
  }

  /** Whether the caller's statement belongs to the transaction holding the connection. */
  holds(): boolean {
    return this.holder !== null && this.holder();
  }

  /** A statement outside any transaction: counted while it runs, so no transaction begins under it. */
  private untracked<T>(run: () => T): T {
    this.running++;
    let result: T;
    try {
      result = run();
    } catch (err) {
      this.done();
      throw err;
    }
    if (result instanceof Promise) return result.finally(() => this.done()) as T;
    this.done();
    return result;
  }

  private done(): void {
    if (--this.running === 0 && this.waiting.length) this.next();
  }

  private next(): void {
    while (!this.holder && this.waiting.length) {
      const first = this.waiting[0];
      if (first.exclusive && this.running) return;
      this.waiting.shift();
      first.go();
    }
  }
}

const queues = new WeakMap<QueryRunner, ConnectionQueue>();

/**
 * The queue of a better-sqlite3 data source's connection (null on PostgreSQL, whose pool gives
 * each transaction a connection of its own). The first call puts it in front of TypeORM's shared
 * query runner: its statements wait in it, and a transaction TypeORM opens by itself (a `save`
 * outside ours) holds the connection like one of ours, letting every statement through meanwhile
 * since it cannot tell its own from others'.
 */
export function connectionQueue(dataSource: DataSource): ConnectionQueue | null {
  if (dataSource.options.type !== 'better-sqlite3') return null;
  const runner = dataSource.driver.createQueryRunner('master');
  let queue = queues.get(runner);
  if (!queue) queues.set(runner, (queue = guard(runner)));
  return queue;
}

function guard(runner: QueryRunner): ConnectionQueue {
  const queue = new ConnectionQueue();
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  const start = runner.startTransaction.bind(runner);
  const commit = runner.commitTransaction.bind(runner);
  const rollback = runner.rollbackTransaction.bind(runner);
  let releaseTypeorm: (() => void) | null = null;
  const ended = () => {
    if (runner.isTransactionActive || !releaseTypeorm) return;
    const release = releaseTypeorm;
    releaseTypeorm = null;
    release();
  };
  Object.assign(runner, {
    query: (...args: unknown[]) => queue.statement(() => query(...args)),
    startTransaction: async (isolation?: Parameters<QueryRunner['startTransaction']>[0]) => {
      if (queue.holds()) return start(isolation);
      const release = await queue.hold(() => true);
      releaseTypeorm = release;
      try {
        await start(isolation);
      } catch (err) {
        releaseTypeorm = null;
        release();
        throw err;
      }
    },
    commitTransaction: () => commit().finally(ended),
    rollbackTransaction: () => rollback().finally(ended),
  });
  return queue;
}
