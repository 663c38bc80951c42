import { setTimeout as sleep } from 'node:timers/promises';
import { SubmissionPool } from './submission-pool';

describe('SubmissionPool', () => {
  it('never runs more than its limit at once, and add() waits for a slot', async () => {
    const pool = new SubmissionPool(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5);
      running--;
    };
    let started = 0;
    for (let i = 0; i < 7; i++) {
      await pool.add(task);
      started++;
      expect(running).toBeLessThanOrEqual(2);
    }
    await pool.drain();
    expect({ started, peak, running }).toEqual({ started: 7, peak: 2, running: 0 });
  });

  it('drains only after delayed retries have run', async () => {
    const pool = new SubmissionPool(1);
    const done: string[] = [];
    await pool.add(async () => {
      done.push('first');
      pool.later(20, async () => void done.push('retry'));
    });
    await pool.drain();
    expect(done).toEqual(['first', 'retry']);
  });

  it('reports a task that threw, and starts nothing after it', async () => {
    const pool = new SubmissionPool(1);
    await pool.add(async () => {
      throw new Error('database gone');
    });
    await expect(pool.drain()).rejects.toThrow('database gone');
    await expect(pool.add(async () => undefined)).rejects.toThrow('database gone');
  });

  it('drops timers and waiting tasks when closed', async () => {
    const pool = new SubmissionPool(1);
    const done: string[] = [];
    await pool.add(() => sleep(20).then(() => void done.push('running')));
    const waiting = pool.add(async () => void done.push('waiting'));
    pool.later(5, async () => void done.push('timer'));
    pool.close();
    await waiting;
    await pool.drain();
    expect(done).toEqual(['running']);
  });
});
