/** A rate: `perSecond` requests each second, and `burst` more in any 10 seconds on top (0: none). */
export interface RatePolicy {
  perSecond: number;
  burst: number;
}

/** The rate limits of every public door (RATE_LIMIT_*); a perSecond of 0 turns that limit off. */
export interface RateLimitConfig {
  /** Per tenant, on /api/v1 with a tenant API key; a tenant's settings may override it. */
  api: RatePolicy;
  /** Per client address, on each anonymous door (register, autologin, external login, sign-in and forgot-password posts). */
  anonymous: RatePolicy;
  /** Per client address, on GET /entitlements/check. */
  check: RatePolicy;
}

type Env = Record<string, string | undefined>;

const MAX_RATE = 1_000_000;

export function rateLimitConfig(env: Env, problems: string[]): RateLimitConfig {
  const policy = (name: string, perSecond: number, burst: number): RatePolicy => ({
    perSecond: count(env, `RATE_LIMIT_${name}_PER_SECOND`, perSecond, problems),
    burst: count(env, `RATE_LIMIT_${name}_BURST`, burst, problems),
  });
  return { api: policy('API', 100, 1000), anonymous: policy('ANONYMOUS', 10, 100), check: policy('CHECK', 2000, 0) };
}

function count(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > MAX_RATE) {
    problems.push(`${name} must be an integer between 0 and ${MAX_RATE} (got "${raw}")`);
    return fallback;
  }
  return value;
}
