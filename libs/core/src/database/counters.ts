import { EntityManager } from 'typeorm';
import { Counter } from './counter.entity';

/**
 * The next value of a counter, inside the caller's transaction. The UPDATE locks the row on
 * PostgreSQL until commit and SQLite has one writer, so two transactions never get the same value.
 */
export async function nextCounterValue(m: EntityManager, name: string): Promise<number> {
  const result = await m
    .createQueryBuilder()
    .update(Counter)
    .set({ value: () => 'value + 1' })
    .where('name = :name', { name })
    .execute();
  if (!result.affected) {
    await m.insert(Counter, { name, value: 1 });
    return 1;
  }
  const row = await m.findOneByOrFail(Counter, { name });
  return row.value;
}
