import type { AppConfig } from '@portico/core';
import type { Adapter, AdapterPayload, Configuration, JWK, KoaContextWithOIDC } from 'oidc-provider';
import { errors, interactionPolicy } from 'oidc-provider';
import { hkdfSync } from 'node:crypto';
import type { TenantRef } from '@portico/tenants';
import type { OidcClient } from '../entities/oidc-client.entity';

/** Portico's own client metadata, beside the standard names (the provider keeps them verbatim). */
export const CLIENT_EXTRAS = [
  'portico_tenant_id',
  'portico_tenant_key',
  // The client's tenant as read with the client (an active one: a suspended tenant's clients are unknown).
  'portico_tenant',
  'portico_first_party',
  'portico_access_ttl',
  'portico_refresh_ttl',
  'portico_allow_private_network',
] as const;

export const SCOPE_CLAIMS = {
  // amr rides with openid so every ID token says how the person signed in.
  openid: ['sub', 'amr'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
  organizations: ['tenant', 'billable', 'organizations'],
};

/** The path under PUBLIC_URL where Portico's pages take over an authorization request. */
export const INTERACTION_PATH = '/interaction';

export interface ProviderDependencies {
  config: AppConfig;
  adapter: new (model: string) => Adapter;
  keys: JWK[];
  findAccount: Configuration['findAccount'];
  extraTokenClaims: Configuration['extraTokenClaims'];
  loadExistingGrant: NonNullable<Configuration['loadExistingGrant']>;
  /** Portico's look for the end-session pages: the confirmation (with the library's form) and the after-page. */
  logoutPage: (ctx: KoaContextWithOIDC, form: string) => Promise<string>;
  loggedOutPage: (ctx: KoaContextWithOIDC) => Promise<string>;
}

/** The client as the provider reads it: standard metadata plus Portico's extras. */
export function clientMetadata(c: OidcClient, tenant: TenantRef | null): AdapterPayload {
  const codeFlow = c.grantTypes.includes('authorization_code');
  return {
    client_id: c.clientId,
    client_name: c.name,
    // The stored SHA-256, never the secret: compareClientSecret is replaced to hash what is presented.
    ...(c.secretHash ? { client_secret: c.secretHash } : {}),
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    grant_types: c.grantTypes,
    response_types: codeFlow ? ['code'] : [],
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    scope: c.scopes.join(' '),
    id_token_signed_response_alg: 'RS256',
    // Every ID token says when the person signed in (auth_time), not only when max_age asks.
    require_auth_time: true,
    portico_tenant_id: c.tenantId,
    portico_tenant_key: tenant?.key ?? null,
    portico_tenant: tenant ? { id: tenant.id, key: tenant.key, name: tenant.name, status: tenant.status } : null,
    portico_first_party: c.firstParty,
    portico_access_ttl: c.accessTokenTtlSeconds,
    portico_refresh_ttl: c.refreshTokenTtlSeconds,
    portico_allow_private_network: c.allowPrivateNetwork,
  };
}

function clientNumber(client: unknown, key: string, fallback: number): number {
  const value = (client as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' && value > 0 ? value : fallback;
}

/**
 * The provider's configuration: only the authorization code flow (PKCE for public clients),
 * refresh tokens rotated on every use, client credentials, introspection and revocation; no
 * implicit or hybrid response types, no password grant, no unsigned or symmetric ID tokens.
 */
export function providerConfiguration(deps: ProviderDependencies): Configuration {
  const { config } = deps;
  // Cookie signing keys from the one deployment secret: every instance signs and reads the same.
  const cookieKey = Buffer.from(hkdfSync('sha256', config.secretKey, 'portico', 'oidc-cookies', 32)).toString('base64url');
  const cookie = { httpOnly: true, sameSite: 'lax' as const };
  return {
    adapter: deps.adapter,
    jwks: { keys: deps.keys },
    findAccount: deps.findAccount,
    extraTokenClaims: deps.extraTokenClaims,
    loadExistingGrant: deps.loadExistingGrant,
    claims: { ...SCOPE_CLAIMS, acr: null, amr: null, auth_time: null, sid: null },
    // ID tokens carry the openid scope's claims only; the rest is at userinfo (OidcAccounts relies on it).
    conformIdTokenClaims: true,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'organizations'],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'ES256'],
    },
    clientDefaults: { id_token_signed_response_alg: 'RS256', grant_types: ['authorization_code'], response_types: ['code'] },
    extraClientMetadata: { properties: [...CLIENT_EXTRAS] },
    extraParams: ['tenant'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        // Confidential clients only, and only their own tokens.
        allowedPolicy: async (_ctx, client, token) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (client.clientAuthMethod === 'none') return false;
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = await deps.logoutPage(ctx, form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = await deps.loggedOutPage(ctx);
        },
      },
      // Logout tokens are sent by Portico's own job (outbound client, retries): see OidcProviderService.
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: false },
      registration: { enabled: false },
    },
    interactions: { policy: loginPolicy(), url: async (_ctx, interaction) => `${config.publicUrl}${INTERACTION_PATH}/${interaction.uid}` },
    cookies: {
      keys: [cookieKey],
      names: { session: 'portico.oidc', interaction: 'portico.oidc.interaction', resume: 'portico.oidc.resume' },
      long: cookie,
      short: cookie,
    },
    ttl: {
      AccessToken: (_ctx, _token, client) => clientNumber(client, 'portico_access_ttl', 3600),
      ClientCredentials: (_ctx, _token, client) => clientNumber(client, 'portico_access_ttl', 600),
      RefreshToken: (_ctx, _token, client) => clientNumber(client, 'portico_refresh_ttl', 14 * 86400),
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 1800,
      Session: 14 * 86400,
      Grant: 366 * 86400,
    },
    // Every use of a refresh token returns a new one; presenting a used one revokes the grant.
    rotateRefreshToken: true,
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out as unknown as Record<string, string>);
    },
  };
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => escapes[c]);

/** The page a person sees when the request cannot go back to the application (unknown client, unregistered redirect URI). */
function errorPage(out: Record<string, string>): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign-in request refused · Portico</title></head><body>
<main><h1>This sign-in request cannot be completed</h1>
<p role="alert" data-error="${escape(out.error)}">${escape(out.error_description ?? out.error)}</p>
<p>Go back to the application and try again; if it keeps happening, tell its administrator.</p></main></body></html>`;
}

/**
 * The library's prompts, plus one login check: a provider session whose user may not use this
 * client (disabled, suspended tenant, another tenant's client) goes to Portico's pages, which
 * answer access_denied, or is login_required under prompt=none. It never silently issues a code.
 */
function loginPolicy(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check('account_not_allowed', 'End-User may not sign in to this client', 'login_required', (ctx) =>
        Boolean(ctx.oidc.session?.accountId && !ctx.oidc.account),
      ),
    );
  return policy;
}
