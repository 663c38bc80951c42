import { DOMAIN_EVENT_NAMES, MESSAGE_STATUSES, WEBHOOK_TEST_EVENT } from '@portico/webhooks';
import type { MessageStatus, WebhookAttemptView, WebhookEndpointView, WebhookMessageView } from '@portico/webhooks';
import { formatUtc } from '../dates';
import { checkbox, filterParam, FormBody, optionalText, text } from './forms';

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
    description: text(form, 'description'),
    events: events(form),
    allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
  };
}

export function endpointFromEditForm(form: FormBody): Record<string, unknown> {
  return {
    url: text(form, 'url'),
    description: text(form, 'description'),
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
  return { url: e.url, description: e.description ?? '', events: e.events, enabled: e.enabled, allowPrivateNetwork: e.allowPrivateNetwork };
}

/** The endpoint's state as the list and page show it. */
export function endpointState(e: WebhookEndpointView): { label: string; tone: string; detail: string | null } {
  if (!e.enabled) return { label: 'disabled', tone: 'bad', detail: e.disabledReason ?? 'Disabled by an administrator.' };
  if (e.consecutiveFailures > 0) {
    return {
      label: 'failing',
      tone: 'wait',
      detail: `${e.consecutiveFailures} failed attempt(s) in a row since ${formatUtc(e.failingSince) || '?'}`,
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

/** The delivery log's filters; a value the choices do not offer is left out rather than refused. */
export function messageFilters(query: FormBody): {
  selection: { status?: MessageStatus; eventType?: string };
  statuses: { value: string; selected: boolean }[];
  eventTypes: { value: string; selected: boolean }[];
  active: boolean;
} {
  const status = MESSAGE_STATUSES.find((s) => s === filterParam(query, 'status', 16));
  const types = [...DOMAIN_EVENT_NAMES, WEBHOOK_TEST_EVENT];
  const eventType = types.find((t) => t === filterParam(query, 'eventType', 64));
  return {
    selection: { status, eventType },
    statuses: MESSAGE_STATUSES.map((value) => ({ value, selected: value === status })),
    eventTypes: types.map((value) => ({ value, selected: value === eventType })),
    active: !!(status || eventType),
  };
}

/** One attempt in full, headers as name/value rows in the order they were kept. */
export function attemptDetail(a: WebhookAttemptView): Record<string, unknown> {
  const rows = (h: Record<string, string> | null) => (h ? Object.entries(h).map(([name, value]) => ({ name, value })) : null);
  const tone = a.statusCode && a.statusCode >= 200 && a.statusCode < 300 ? 'ok' : 'bad';
  return { ...a, tone, requestHeaders: rows(a.requestHeaders), responseHeaders: rows(a.responseHeaders) };
}

/** The payload indented for reading (it is sent compact); as stored when it is not JSON. */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

/** What happened to a test event, in a sentence for the flash. */
export function testOutcome(m: WebhookMessageView): { ok: boolean; message: string } {
  const took = m.lastDurationMs !== null ? ` in ${m.lastDurationMs} ms` : '';
  if (m.status === 'succeeded')
    return { ok: true, message: `Test event delivered: the endpoint answered HTTP ${m.lastStatusCode}${took}.` };
  const why = m.lastError ?? (m.lastStatusCode ? `HTTP ${m.lastStatusCode}` : 'no answer');
  const next = m.status === 'pending' && m.nextAttemptAt ? ` It is tried again at ${formatUtc(m.nextAttemptAt)}.` : '';
  return { ok: false, message: `Test event not delivered: ${why}${took}.${next}` };
}
