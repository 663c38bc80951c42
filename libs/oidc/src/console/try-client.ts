import type { AdapterPayload } from 'oidc-provider';
import { CLIENT_EXTRAS } from '../provider/provider-config';

/**
 * The console's "try sign-in" runs an application's authorization flow as a shadow client: the
 * application's tenant, scopes and consent rule, but public (PKCE, no secret, which the console
 * never holds), without refresh tokens or logout URIs, and answering only at the console's own
 * callback, which redeems a code only for the browser whose admin started the try.
 */
const SUFFIX = '.try';
/** Short-lived: a try only reads the ID token and userinfo once. */
const TRY_ACCESS_TTL_SECONDS = 300;

export function consoleTryClientId(clientId: string): string {
  return `${clientId}${SUFFIX}`;
}

/** The application a try client id stands for, or null when `id` is not one. */
export function consoleTryOf(id: string): string | null {
  return id.endsWith(SUFFIX) ? id.slice(0, -SUFFIX.length) : null;
}

/** The console route that receives a try's answer (libs/web serves it). */
export function consoleTryCallbackPath(clientId: string): string {
  return `/console/applications/${encodeURIComponent(clientId)}/try/callback`;
}

/** The shadow client's metadata, from the application's own; null when the application does not sign people in. */
export function consoleTryMetadata(app: AdapterPayload, publicUrl: string): AdapterPayload | undefined {
  const clientId = String(app.client_id);
  if (!(app.grant_types ?? []).includes('authorization_code')) return undefined;
  const extras = Object.fromEntries(CLIENT_EXTRAS.map((name) => [name, (app as Record<string, unknown>)[name]]));
  return {
    ...extras,
    client_id: consoleTryClientId(clientId),
    client_name: `${String(app.client_name ?? clientId)} (console try)`,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${publicUrl}${consoleTryCallbackPath(clientId)}`],
    post_logout_redirect_uris: [],
    scope: String(app.scope ?? '')
      .split(' ')
      .filter((s) => s && s !== 'offline_access')
      .join(' '),
    id_token_signed_response_alg: app.id_token_signed_response_alg ?? 'RS256',
    require_auth_time: true,
    portico_access_ttl: TRY_ACCESS_TTL_SECONDS,
  };
}
