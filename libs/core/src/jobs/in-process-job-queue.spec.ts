import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { InProcessJobQueue } from './in-process-job-queue';
import { JobHandler } from './job-queue';
import { JobRegistry } from './job-registry';

function queueWith(handlers: Record<string, JobHandler>, concurrency = 2): InProcessJobQueue {
  const registry = {
    handler: (name: string) =>
      handlers[name] ??
      (() => {
        throw new Error(`No processor for job "${name}"`);
      })(),
  } as unknown as JobRegistry;
  return new InProcessJobQueue(
    registry,
    new AppConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', JOBS_CONCURRENCY: String(concurrency) }),
  );
}

describe('InProcessJobQueue', () => {
  it('runs at most JOBS_CONCURRENCY jobs of a type at once, and all of them', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const queue = queueWith({
      work: {
        async handle(n: unknown) {
          peak = Math.max(peak, ++running);
          await sleep(10);
          running--;
          done.push(n as number);
        },
      },
    });
    for (let i = 0; i < 7; i++) await queue.enqueue('work', i);
    while (done.length < 7) await sleep(5);
    expect(peak).toBe(2);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('adds a job id only once while it waits', async () => {
    const seen: unknown[] = [];
    const queue = queueWith({ work: { handle: async (d) => void seen.push(d) } });
    await queue.enqueue('work', 'a', { jobId: 'x', delayMs: 20 });
    await queue.enqueue('work', 'b', { jobId: 'x' });
    await sleep(60);
    expect(seen).toEqual(['a']);
  });

  it('runs jobs outside the context (the transaction) of whoever enqueued them', async () => {
    const store = new AsyncLocalStorage<string>();
    let inside: string | undefined = 'unset';
    const queue = queueWith({ work: { handle: async () => void (inside = store.getStore()) } });
    await store.run('a transaction', () => queue.enqueue('work', null));
    await sleep(20);
    expect(inside).toBeUndefined();
  });

  it('refuses an unknown job type, and drops jobs not started at shutdown', async () => {
    const seen: unknown[] = [];
    const queue = queueWith({ work: { handle: async (d) => void seen.push(d) } });
    await expect(queue.enqueue('nope', null)).rejects.toThrow('No processor for job "nope"');
    await queue.enqueue('work', 'later', { delayMs: 50 });
    await queue.beforeApplicationShutdown();
    await sleep(80);
    expect(seen).toEqual([]);
  });
});
