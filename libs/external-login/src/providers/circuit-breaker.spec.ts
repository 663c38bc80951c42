import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ threshold: () => 3, cooldownMs: () => 1000, now: () => now });
  beforeEach(() => (now = 10_000));

  it('stays closed below the threshold and forgets failures after a success', () => {
    const b = breaker();
    b.failed('timeout');
    b.failed('timeout');
    b.succeeded();
    b.failed('timeout');
    b.failed('timeout');
    expect(b.tryAcquire()).toBe(true);
    expect(b.view()).toMatchObject({ state: 'closed', consecutiveFailures: 2, lastFailure: 'timeout' });
  });

  it('opens after the threshold of failures in a row, for the cool-down', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failed('HTTP 500');
    expect(b.tryAcquire()).toBe(false);
    expect(b.view()).toMatchObject({ state: 'open', consecutiveFailures: 3, openUntil: new Date(11_000) });
    now += 999;
    expect(b.tryAcquire()).toBe(false);
  });

  it('lets a single trial through after the cool-down; its success closes the breaker', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failed('HTTP 500');
    now += 1000;
    expect(b.view().state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.succeeded();
    expect(b.view()).toMatchObject({ state: 'closed', consecutiveFailures: 0, openUntil: null });
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens again at once when the trial fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.failed('HTTP 500');
    now += 1500;
    expect(b.tryAcquire()).toBe(true);
    b.failed('timeout');
    expect(b.tryAcquire()).toBe(false);
    expect(b.view()).toMatchObject({ state: 'open', openUntil: new Date(now + 1000), lastFailure: 'timeout' });
  });
});
