import type { EntityTarget, FindOptionsWhere, ObjectLiteral } from 'typeorm';
import { In } from 'typeorm';
import type { TransactionService } from './transaction.service';

const ROWS_PER_ROUND = 1000;

/**
 * Deletes the rows matching `where`, a thousand per transaction, letting other work through between
 * rounds: a large backlog never holds the database (or, on SQLite, the event loop) for long.
 * Returns how many rows went.
 */
export async function pruneRows<T extends ObjectLiteral & { id: string }>(
  tx: TransactionService,
  target: EntityTarget<T>,
  where: FindOptionsWhere<T> | FindOptionsWhere<T>[],
): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await tx.run(async (m) => {
      const rows = await m.find(target, { select: { id: true } as never, where, take: ROWS_PER_ROUND });
      if (rows.length) await m.delete(target, { id: In(rows.map((r) => r.id)) } as never);
      return rows.length;
    });
    total += deleted;
    if (deleted < ROWS_PER_ROUND) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** True at most once per `ms` in this process: housekeeping done now and then from a busy path. */
export class Every {
  private last = 0;

  constructor(private readonly ms: number) {}

  due(now = Date.now()): boolean {
    if (now - this.last < this.ms) return false;
    this.last = now;
    return true;
  }
}
