import { Logger } from '@nestjs/common';
import { Periodic } from './periodic';

describe('Periodic', () => {
  const logger = new Logger('test');
  beforeEach(() => jest.spyOn(logger, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('never runs twice at once: a run asked for meanwhile is the one under way', async () => {
    let release!: () => void;
    let runs = 0;
    const periodic = new Periodic(logger, 'Work', () => {
      if (++runs > 1) return Promise.resolve();
      return new Promise<void>((resolve) => (release = resolve));
    });
    const first = periodic.run();
    const second = periodic.run();
    expect(runs).toBe(1);
    release();
    await Promise.all([first, second]);
    await periodic.run();
    expect(runs).toBe(2);
  });

  it('logs a failure as one line and runs again next time', async () => {
    let calls = 0;
    const periodic = new Periodic(logger, 'Sweeping things', async () => {
      if (++calls === 1) throw new Error('database away');
    });
    await expect(periodic.run()).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith('Sweeping things failed: database away');
    await periodic.run();
    expect(calls).toBe(2);
  });

  it('runs first at the time asked for, then on its interval, and stop waits for the run under way', async () => {
    const seen: boolean[] = [];
    let finished = false;
    const periodic = new Periodic(logger, 'Work', async (first) => {
      seen.push(first);
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished = true;
    });
    periodic.start(40, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await periodic.stop();
    expect(finished).toBe(true);
    expect(seen[0]).toBe(true);
    expect(seen.slice(1).every((first) => !first)).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    const count = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.length).toBe(count);
  });
});
