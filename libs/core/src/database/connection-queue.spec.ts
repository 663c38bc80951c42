import { ConnectionQueue } from './connection-queue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ConnectionQueue', () => {
  it('runs statements at once while no transaction holds the connection', () => {
    const queue = new ConnectionQueue();
    expect(queue.statement(() => 'now')).toBe('now');
  });

  it("holds other statements until the transaction ends, and lets the holder's own through", async () => {
    const queue = new ConnectionQueue();
    let mine = true;
    const release = await queue.hold(() => mine);
    expect(queue.statement(() => 'own')).toBe('own');
    mine = false;
    const order: string[] = [];
    const waiting = [queue.statement(() => order.push('first')), queue.statement(() => order.push('second'))];
    await tick();
    expect(order).toEqual([]);
    release();
    await Promise.all(waiting);
    expect(order).toEqual(['first', 'second']);
  });

  it('begins a transaction only once the statements already running are done', async () => {
    const queue = new ConnectionQueue();
    let finish!: () => void;
    const running = queue.statement(() => new Promise<void>((resolve) => (finish = resolve)));
    let held = false;
    const holding = queue
      .hold(() => false)
      .then((release) => {
        held = true;
        return release;
      });
    // Behind the waiting transaction, not before it.
    const later = queue.statement(() => held);
    await tick();
    expect(held).toBe(false);
    finish();
    await running;
    const release = await holding;
    expect(held).toBe(true);
    release();
    expect(await later).toBe(true);
  });

  it('passes a failing statement on to its caller and keeps serving', async () => {
    const queue = new ConnectionQueue();
    const release = await queue.hold(() => false);
    const failing = queue.statement(() => {
      throw new Error('no such table');
    });
    release();
    await expect(failing).rejects.toThrow('no such table');
    expect(() =>
      queue.statement(() => {
        throw new Error('again');
      }),
    ).toThrow('again');
    expect(queue.statement(() => 1)).toBe(1);
  });
});
