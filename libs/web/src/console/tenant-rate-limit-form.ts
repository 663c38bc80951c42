import type { TenantSettingsView } from '@portico/auth';
import type { RatePolicy } from '@portico/core';
import { FormBody, problem, text } from './forms';

/** The tenant page's API rate limit form, as the settings API takes it: null for the global default. */
export function parseRateLimitForm(
  form: FormBody,
): { ok: true; value: { rateLimit: { perSecond: unknown; burst: unknown } | null } } | ReturnType<typeof problem> {
  const mode = text(form, 'rateMode');
  if (mode === 'inherit') return { ok: true, value: { rateLimit: null } };
  if (mode !== 'custom') return problem(400, 'API rate limit: choose the global default or its own.');
  // Strings that are not whole numbers stay as typed, so the validator names the field.
  const number = (name: string) => (/^\d{1,7}$/.test(text(form, name)) ? Number(text(form, name)) : text(form, name));
  return { ok: true, value: { rateLimit: { perSecond: number('perSecond'), burst: number('burst') } } };
}

export const RATE_LIMIT_LABELS = { 'rateLimit.perSecond': 'Requests per second', 'rateLimit.burst': 'Burst' };

/** The section's locals: the saved override (or what a refused post sent) and the global default. */
export function rateLimitView(own: TenantSettingsView, global: RatePolicy, sent?: FormBody): Record<string, unknown> {
  const custom = sent ? text(sent, 'rateMode') === 'custom' : own.rateLimit !== null;
  return {
    custom,
    global,
    globalOff: global.perSecond === 0,
    perSecond: sent ? text(sent, 'perSecond') : (own.rateLimit?.perSecond ?? global.perSecond),
    burst: sent ? text(sent, 'burst') : (own.rateLimit?.burst ?? global.burst),
  };
}
