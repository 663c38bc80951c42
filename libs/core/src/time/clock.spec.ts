import { Clock, TestClock } from './clock';

describe('Clock', () => {
  it('tells the real time', () => {
    const clock = new Clock();
    const before = Date.now();
    const now = clock.nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(clock.now()).toBeInstanceOf(Date);
  });
});

describe('TestClock', () => {
  it('moves forward by what advance is given, without waiting', () => {
    const clock = new TestClock();
    clock.advance(10 * 60_000);
    expect(clock.nowMs() - Date.now()).toBeGreaterThanOrEqual(10 * 60_000 - 1_000);
    expect(clock.now().getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
  });

  it('can be put at a given moment, and back to real time', () => {
    const clock = new TestClock();
    const firstOfMonth = new Date('2031-03-01T09:00:00Z');
    clock.set(firstOfMonth);
    expect(Math.abs(clock.nowMs() - firstOfMonth.getTime())).toBeLessThan(1_000);
    expect(clock.now().toISOString().slice(0, 10)).toBe('2031-03-01');
    clock.reset();
    expect(Math.abs(clock.nowMs() - Date.now())).toBeLessThan(1_000);
  });

  it('stands still when frozen, and moves only when advanced', async () => {
    const clock = new TestClock();
    const lastSecond = new Date('2031-03-31T23:59:59Z');
    clock.freeze(lastSecond);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toEqual(lastSecond);
    clock.advance(1_000);
    expect(clock.now().toISOString()).toBe('2031-04-01T00:00:00.000Z');
    clock.reset();
    expect(Math.abs(clock.nowMs() - Date.now())).toBeLessThan(1_000);
  });

  it('is a Clock, so it can stand in for the provider', () => {
    expect(new TestClock()).toBeInstanceOf(Clock);
  });
});
