import { DOMAIN_EVENT_NAMES } from '@portico/webhooks';
import type { WebhookAttemptView, WebhookEndpointView, WebhookMessageView } from '@portico/webhooks';
import { checkbox, FormBody, optionalText, text } from './forms';

export const WEBHOOK_LABELS = { url: 'URL', events: 'Events', tenantKey: 'Tenant' };

/** The checked event names: a repeated field arrives as an array, a single one as a string. */
function events(form: FormBody): string[] {
  const raw = form.events;
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
}

export function endpointFromCreateForm(form: FormBody): Record<string, unknown> {
  return {
    tenantKey: optionalText(form, 'tenantKey'),
    url: text(form, 'url'),
    events: events(form),
    allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
  };
}

export function endpointFromEditForm(form: FormBody): Record<string, unknown> {
  return {
    url: text(form, 'url'),
    events: events(form),
    enabled: checkbox(form, 'enabled'),
    allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
  };
}

/** Every event as a checkbox, ticked when subscribed. */
export function eventChoices(selected: unknown): { name: string; checked: boolean }[] {
  const chosen = new Set(Array.isArray(selected) ? selected : typeof selected === 'string' ? [selected] : []);
  return DOMAIN_EVENT_NAMES.map((name) => ({ name, checked: chosen.has(name) }));
}

export function formValues(e: WebhookEndpointView): FormBody {
  return { url: e.url, events: e.events, enabled: e.enabled, allowPrivateNetwork: e.allowPrivateNetwork };
}

/** The endpoint's state as the list and page show it. */
export function endpointState(e: WebhookEndpointView): { label: string; tone: string; detail: string | null } {
  if (!e.enabled) return { label: 'disabled', tone: 'bad', detail: e.disabledReason ?? 'Disabled by an administrator.' };
  if (e.consecutiveFailures > 0) {
    return {
      label: 'failing',
      tone: 'wait',
      detail: `${e.consecutiveFailures} failed attempt(s) in a row since ${e.failingSince ? new Date(e.failingSince).toISOString() : '?'}`,
    };
  }
  return { label: 'healthy', tone: 'ok', detail: null };
}

/** One delivery-log row: status badge and what happened last. */
export function messageRow(m: WebhookMessageView): Record<string, unknown> {
  const tone = m.status === 'succeeded' ? 'ok' : m.status === 'failed' ? 'bad' : 'wait';
  const answer = m.lastError ?? (m.lastStatusCode ? `HTTP ${m.lastStatusCode}` : null);
  return {
    ...m,
    tone,
    shortId: m.id.slice(0, 8),
    answer,
    answerIsError: !!m.lastError,
    canResend: m.status !== 'pending' || m.attempts > 0,
  };
}

export function attemptRow(a: WebhookAttemptView): Record<string, unknown> {
  return { ...a, shortId: a.messageId.slice(0, 8) };
}
