import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from '@portico/core';
import { retryAfterMs, verdict } from './retry-policy';

describe('webhook retry policy', () => {
  const schedule = DEFAULT_WEBHOOK_RETRY_SCHEDULE;
  const now = Date.UTC(2025, 0, 1);
  const middle = () => 0.5;

  it('follows immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const delays: number[] = [];
    for (let step = 0; ; step++) {
      const v = verdict({ statusCode: 500 }, step, schedule, now, middle);
      if (v.kind !== 'retry') break;
      delays.push(v.delayMs / 1000);
    }
    expect([0, ...delays]).toEqual([0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(verdict({ statusCode: 500 }, schedule.length - 1, schedule, now)).toEqual({ kind: 'failed' });
  });

  it('adds at most ±10 % jitter', () => {
    expect(verdict({ statusCode: 500 }, 1, schedule, now, () => 0)).toMatchObject({ delayMs: 270_000 });
    expect(verdict({ statusCode: 500 }, 1, schedule, now, () => 1)).toMatchObject({ delayMs: 330_000 });
  });

  it('succeeds on 2xx only; 410 is gone; redirects and timeouts are retried', () => {
    expect(verdict({ statusCode: 204 }, 0, schedule, now).kind).toBe('succeeded');
    expect(verdict({ statusCode: 410 }, 0, schedule, now).kind).toBe('gone');
    expect(verdict({ statusCode: 302 }, 0, schedule, now).kind).toBe('retry');
    expect(verdict({ statusCode: null }, 0, schedule, now).kind).toBe('retry');
  });

  it('honours Retry-After on 429 and 503, in seconds or as a date, and ignores it elsewhere', () => {
    expect(verdict({ statusCode: 429, retryAfter: '120' }, 0, schedule, now)).toMatchObject({ delayMs: 120_000 });
    const date = new Date(now + 90_000).toUTCString();
    expect(verdict({ statusCode: 503, retryAfter: date }, 0, schedule, now)).toMatchObject({ delayMs: 90_000 });
    expect(verdict({ statusCode: 500, retryAfter: '120' }, 0, schedule, now, middle)).toMatchObject({ delayMs: 5_000 });
    expect(retryAfterMs('999999999', now)).toBe(10 * 3600_000);
    expect(retryAfterMs('soon', now)).toBeNull();
  });
});
