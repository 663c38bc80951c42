import type { CircuitView, ExternalLoginProviderView } from '@portico/external-login';
import { checkbox, FormBody, text } from './forms';
import { formatUtc } from '../dates';

export const PROVIDER_LABELS = {
  name: 'Name',
  url: 'URL',
  accessTokenHeader: 'Access-token header',
  accessToken: 'Access token',
  clientCertificate: 'Client certificate',
  clientKey: 'Client key',
  caCertificate: 'CA certificate',
  timeoutMs: 'Timeout (ms)',
};

/** A textarea as typed (PEM keeps its line breaks), or undefined when left empty. */
function block(form: FormBody, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function timeout(form: FormBody): number | string | undefined {
  const raw = text(form, 'timeoutMs');
  if (!raw) return undefined;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
}

/** The create form as the API's body: secrets only when typed. */
export function providerFromCreateForm(form: FormBody): Record<string, unknown> {
  return {
    name: text(form, 'name'),
    url: text(form, 'url'),
    accessTokenHeader: text(form, 'accessTokenHeader') || undefined,
    accessToken: block(form, 'accessToken'),
    clientCertificate: block(form, 'clientCertificate'),
    clientKey: block(form, 'clientKey'),
    caCertificate: block(form, 'caCertificate'),
    timeoutMs: timeout(form),
    allowUserCreation: checkbox(form, 'allowUserCreation'),
    allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
  };
}

/**
 * The edit form as an update: an empty secret field keeps the stored one (it is never shown), a
 * "remove" box clears it; the CA certificate is shown, so an empty box removes it.
 */
export function providerFromEditForm(form: FormBody): Record<string, unknown> {
  const removeCertificate = checkbox(form, 'removeClientCertificate');
  return {
    name: text(form, 'name'),
    url: text(form, 'url'),
    accessTokenHeader: text(form, 'accessTokenHeader'),
    accessToken: checkbox(form, 'removeAccessToken') ? null : block(form, 'accessToken'),
    clientCertificate: removeCertificate ? null : block(form, 'clientCertificate'),
    clientKey: removeCertificate ? null : block(form, 'clientKey'),
    caCertificate: block(form, 'caCertificate') ?? null,
    timeoutMs: timeout(form) ?? '',
    allowUserCreation: checkbox(form, 'allowUserCreation'),
    allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
  };
}

/** The breaker as a person reads it. */
export function circuitSummary(c: CircuitView): { label: string; tone: 'ok' | 'warn' | ''; detail: string | null } {
  if (c.state === 'open')
    return {
      label: 'paused',
      tone: 'warn',
      detail: `Calls paused until ${formatUtc(c.openUntil)} after ${c.consecutiveFailures} failures in a row`,
    };
  if (c.state === 'half-open')
    return {
      label: 'trying again',
      tone: '',
      detail: 'The next sign-in is sent as a trial: success resumes calls, failure pauses them again',
    };
  if (c.consecutiveFailures)
    return {
      label: 'answering',
      tone: 'ok',
      detail: `${c.consecutiveFailures} failure${c.consecutiveFailures === 1 ? '' : 's'} in a row so far`,
    };
  return { label: 'answering', tone: 'ok', detail: null };
}

/** The values the edit form starts with. */
export function providerFormValues(p: ExternalLoginProviderView): FormBody {
  return {
    name: p.name,
    url: p.url,
    accessTokenHeader: p.accessTokenHeader,
    clientCertificate: p.clientCertificate ?? '',
    caCertificate: p.caCertificate ?? '',
    timeoutMs: String(p.timeoutMs),
    allowUserCreation: p.allowUserCreation ? 'on' : '',
    allowPrivateNetwork: p.allowPrivateNetwork ? 'on' : '',
  };
}
