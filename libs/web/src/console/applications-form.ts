import { CLIENT_GRANT_TYPES, CLIENT_SCOPES, type OidcClientView } from '@portico/oidc';
import { checkbox, FormBody, text } from './forms';

export const APPLICATION_LABELS: Record<string, string> = {
  name: 'Name',
  tenantKey: 'Tenant',
  redirectUris: 'Redirect URIs',
  postLogoutRedirectUris: 'Post-logout redirect URIs',
  grantTypes: 'Grant types',
  tokenEndpointAuthMethod: 'Client authentication',
  firstParty: 'First party',
  backchannelLogoutUri: 'Back-channel logout URI',
  scopes: 'Scopes',
  accessTokenTtlSeconds: 'Access token lifetime',
  refreshTokenTtlSeconds: 'Refresh token lifetime',
  allowPrivateNetwork: 'Private network',
};

const GRANT_TEXT: Record<string, string> = {
  authorization_code: 'Authorization code (people sign in)',
  refresh_token: 'Refresh token (stay signed in; needs offline_access)',
  client_credentials: 'Client credentials (the application calls for itself)',
};

const AUTH_METHODS = [
  { value: 'client_secret_basic', label: 'Client secret, HTTP Basic (a server-side web application)' },
  { value: 'client_secret_post', label: 'Client secret in the form body' },
  { value: 'none', label: 'None: a public client (single-page or native app; PKCE required, no secret)' },
];

/** A repeated field (checkboxes) arrives as an array, a single one as a string. */
function many(form: FormBody, name: string): string[] {
  const raw = form[name];
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
}

/** One URI per line, blank lines dropped. */
function lines(form: FormBody, name: string): string[] {
  return text(form, name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A whole number of seconds; anything else is passed on as typed, so the DTO names the field. */
function seconds(form: FormBody, name: string): number | string | undefined {
  const raw = text(form, name);
  if (!raw) return undefined;
  return /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
}

function common(form: FormBody): Record<string, unknown> {
  return {
    name: text(form, 'name'),
    redirectUris: lines(form, 'redirectUris'),
    postLogoutRedirectUris: lines(form, 'postLogoutRedirectUris'),
    grantTypes: many(form, 'grantTypes'),
    tokenEndpointAuthMethod: text(form, 'tokenEndpointAuthMethod') || undefined,
    firstParty: checkbox(form, 'firstParty'),
    scopes: many(form, 'scopes'),
    accessTokenTtlSeconds: seconds(form, 'accessTokenTtlSeconds'),
    refreshTokenTtlSeconds: seconds(form, 'refreshTokenTtlSeconds'),
    allowPrivateNetwork: checkbox(form, 'allowPrivateNetwork'),
  };
}

export function applicationFromCreateForm(form: FormBody): Record<string, unknown> {
  return {
    ...common(form),
    tenantKey: text(form, 'tenantKey') || null,
    backchannelLogoutUri: text(form, 'backchannelLogoutUri') || undefined,
  };
}

export function applicationFromEditForm(form: FormBody): Record<string, unknown> {
  // Emptied on the edit form: the receiver is removed.
  return { ...common(form), backchannelLogoutUri: text(form, 'backchannelLogoutUri') || null };
}

/** What the form shows for a stored application. */
export function applicationFormValues(c: OidcClientView): FormBody {
  return {
    name: c.name,
    tenantKey: c.tenantKey ?? '',
    redirectUris: c.redirectUris.join('\n'),
    postLogoutRedirectUris: c.postLogoutRedirectUris.join('\n'),
    grantTypes: c.grantTypes,
    tokenEndpointAuthMethod: c.tokenEndpointAuthMethod,
    firstParty: c.firstParty,
    backchannelLogoutUri: c.backchannelLogoutUri ?? '',
    scopes: c.scopes,
    accessTokenTtlSeconds: String(c.accessTokenTtlSeconds),
    refreshTokenTtlSeconds: String(c.refreshTokenTtlSeconds),
    allowPrivateNetwork: c.allowPrivateNetwork,
  };
}

/** A new application's form: the defaults the API applies. */
export const NEW_APPLICATION_FORM: FormBody = {
  grantTypes: ['authorization_code', 'refresh_token'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  scopes: [...CLIENT_SCOPES],
  accessTokenTtlSeconds: '3600',
  refreshTokenTtlSeconds: String(14 * 86400),
};

/** The choices the form offers, ticked from `form` (a posted form keeps what was typed). */
export function applicationChoices(form: FormBody): Record<string, unknown> {
  const grants = new Set(many(form, 'grantTypes'));
  const scopes = new Set(many(form, 'scopes'));
  const method = text(form, 'tokenEndpointAuthMethod') || 'client_secret_basic';
  return {
    grantChoices: CLIENT_GRANT_TYPES.map((name) => ({ name, label: GRANT_TEXT[name], checked: grants.has(name) })),
    scopeChoices: CLIENT_SCOPES.map((name) => ({ name, checked: scopes.has(name) })),
    authMethods: AUTH_METHODS.map((m) => ({ ...m, selected: m.value === method })),
  };
}

/**
 * Puts each error beside its field: messages start with the field's label (the form's checks) or
 * its API name (the service's, e.g. "redirectUris[1] …", said here as "Redirect URIs, line 2: …").
 * What names no field stays in the list above the form.
 */
export function errorsByField(errors: string[] | undefined): { general: string[]; fields: Record<string, string[]> } {
  const general: string[] = [];
  const fields: Record<string, string[]> = {};
  for (const message of errors ?? []) {
    const field = Object.keys(APPLICATION_LABELS).find(
      (name) =>
        message.startsWith(`${APPLICATION_LABELS[name]} `) ||
        message.startsWith(`${APPLICATION_LABELS[name]}:`) ||
        message.startsWith(name),
    );
    if (!field) {
      general.push(message);
      continue;
    }
    const worded = message
      .replace(new RegExp(`^${field}\\[(\\d+)\\]\\s*`), (_m, i: string) => `${APPLICATION_LABELS[field]}, line ${Number(i) + 1}: `)
      .replace(new RegExp(`^${field}(:\\s*|\\s+)`), `${APPLICATION_LABELS[field]}: `);
    (fields[field] ??= []).push(worded);
  }
  return { general, fields };
}
