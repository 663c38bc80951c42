/** What happened to one attempt, as the retry policy needs it. */
export interface AttemptOutcome {
  statusCode: number | null;
  /** The Retry-After header, when the answer had one. */
  retryAfter?: string | string[];
}

export type Verdict = { kind: 'succeeded' } | { kind: 'gone' } | { kind: 'retry'; delayMs: number; step: number } | { kind: 'failed' };

/** How long a Retry-After may push a delivery back: as long as the longest step of the default schedule. */
const MAX_RETRY_AFTER_MS = 10 * 3600_000;
/** ± this share of each delay, so endpoints that failed together are not retried together. */
const JITTER = 0.1;

/**
 * 2xx succeeds; 410 disables the endpoint; anything else (3xx included: redirects are not followed)
 * is retried on the schedule, or after Retry-After for 429 and 503, until the schedule runs out.
 * `step` is the schedule index of the attempt just made.
 */
export function verdict(outcome: AttemptOutcome, step: number, schedule: number[], now: number, random = Math.random): Verdict {
  const code = outcome.statusCode;
  if (code !== null && code >= 200 && code < 300) return { kind: 'succeeded' };
  if (code === 410) return { kind: 'gone' };
  const next = step + 1;
  if (next >= schedule.length) return { kind: 'failed' };
  const asked = code === 429 || code === 503 ? retryAfterMs(outcome.retryAfter, now) : null;
  const delayMs = asked ?? jittered(schedule[next] * 1000, random);
  return { kind: 'retry', delayMs, step: next };
}

/** Retry-After as delay-seconds or an HTTP date, clamped to [0, 10 h]; null when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | null {
  const raw = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!raw) return null;
  let ms: number;
  if (/^\d+$/.test(raw)) ms = Number(raw) * 1000;
  else {
    const at = Date.parse(raw);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (1 + (random() * 2 - 1) * JITTER));
}
