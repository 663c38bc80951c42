import { Injectable, Logger } from '@nestjs/common';
import { AuthSettingsService, LoginOutcome } from '@portico/auth';
import { AppConfig, AuditService, Clock, safeNext } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import * as oidc from 'openid-client';
import { randomBytes } from 'node:crypto';
import { FederatedSignIn } from '../../federation/federated-sign-in';
import { FederatedProvisioning } from '../../federation/federated-provisioning';
import type { TenantOidcConnection } from '../entities/tenant-oidc-connection.entity';
import { isConfigured, TenantOidcConnections } from '../tenant-oidc-connections';
import { mapClaims } from './claim-mapping';
import { explainFailure, TokenRefused } from './failure-reasons';
import { CLOCK_TOLERANCE_SECONDS, OidcRelyingParty, ProviderCallFailed } from './oidc-relying-party';
import type { OidcTestResult, PendingOidcSignIn } from './oidc-pending';

// Longer query strings than this are not an answer from a provider.
const MAX_CALLBACK_QUERY_CHARS = 8_192;

export type OidcRefusal = { kind: 'refused'; status: 400 | 403 | 404 | 502 | 504; message: string };
export type OidcStartOutcome = { kind: 'redirect'; url: string; pending: PendingOidcSignIn } | OidcRefusal;
export type OidcCallbackOutcome =
  { kind: 'login'; outcome: LoginOutcome; next: string } | { kind: 'test'; tenantKey: string; result: OidcTestResult } | OidcRefusal;

const refused = (status: OidcRefusal['status'], message: string): OidcRefusal => ({ kind: 'refused', status, message });

/** The callback's query as the browser brought it, and the sign-in this browser started that its state names. */
export interface CallbackInput {
  query: string;
  params: URLSearchParams;
  /** Takes, once, the sign-in this browser started for the tenant that the answer's state names. */
  take: (tenantId: string) => PendingOidcSignIn | null;
  ip: string | null;
}

/**
 * A tenant's OpenID Connect sign-in: the authorization request (code flow, PKCE S256, state and
 * nonce kept in the browser's session), the callback (openid-client checks the answer, the ID
 * token's signature against the provider's JWKS, iss, aud, azp, nonce and times), then the same
 * provisioning as SAML. The console's test sign-in runs the same flow and creates nothing.
 */
@Injectable()
export class TenantOidcLogin {
  private readonly logger = new Logger('TenantOidcLogin');

  constructor(
    private readonly connections: TenantOidcConnections,
    private readonly rp: OidcRelyingParty,
    private readonly provisioning: FederatedProvisioning,
    private readonly settings: AuthSettingsService,
    private readonly signIn: FederatedSignIn,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async offered(tenant: TenantRef): Promise<{ href: string; name: string } | null> {
    if (tenant.status !== 'active') return null;
    const row = await this.connections.find(tenant.id);
    if (!row?.enabled || !isConfigured(row) || !(await this.settings.isMethodEnabled(tenant.id, 'oidc'))) return null;
    return { href: this.connections.urls(tenant.key).initUrl, name: (await this.connections.view(tenant.key)).buttonName };
  }

  /** GET /t/{key}/oidc/init. */
  async start(tenantKey: string, next: string | undefined): Promise<OidcStartOutcome> {
    const found = await this.usable(tenantKey);
    if (found.kind === 'refused') return found;
    if (!found.row.enabled || !(await this.settings.isMethodEnabled(found.tenant.id, 'oidc'))) return turnedOff();
    return this.redirect(found.tenant, found.row, 'login', this.returnPath(next));
  }

  /** The console's test sign-in: the same request, marked so the answer creates nothing and signs no one in. */
  async startTest(tenantKey: string): Promise<OidcStartOutcome> {
    const found = await this.usable(tenantKey);
    if (found.kind === 'refused') return found;
    return this.redirect(found.tenant, found.row, 'test', '/console');
  }

  /** GET /t/{key}/oidc/callback. */
  async callback(tenantKey: string, input: CallbackInput): Promise<OidcCallbackOutcome> {
    const tenant = await this.tenants.findByKey(tenantKey);
    if (!tenant) return refused(404, 'There is no sign-in here.');
    const { params, ip } = input;
    const fail = (status: OidcRefusal['status'], message: string, reason: string, detail?: string) =>
      this.reject(tenant, ip, status, message, reason, detail);
    if (input.query.length > MAX_CALLBACK_QUERY_CHARS)
      return fail(400, 'The answer from the identity provider is too large. Start again from the sign-in page.', 'malformed');
    if (!params.get('state'))
      return fail(
        400,
        'The answer from the identity provider has no state, so Portico cannot tell which sign-in it belongs to. Start again from the sign-in page.',
        'state-missing',
      );
    const pending = input.take(tenant.id);
    if (!pending)
      return fail(
        400,
        'This answer from the identity provider does not belong to a sign-in started in this browser, or it was already used. Start again from the sign-in page.',
        'state-mismatch',
      );
    if (tenant.status !== 'active') return fail(403, 'This tenant is suspended: nobody can sign in to it for now.', 'tenant-suspended');
    const row = await this.connections.find(tenant.id);
    if (!row || !isConfigured(row)) return fail(403, 'OpenID Connect sign-in is not set up for this tenant.', 'not-configured');
    const providerError = params.get('error');
    if (providerError) {
      const description = (params.get('error_description') ?? '').slice(0, 300);
      return fail(
        403,
        `The identity provider did not sign you in (${providerError.slice(0, 64)}${description ? `: ${description}` : ''}). Start again, or ask your administrator.`,
        'provider-error',
        providerError.slice(0, 64),
      );
    }

    let claims: Record<string, unknown>;
    let issuer: string;
    try {
      const metadata = await this.connections.metadata(row);
      issuer = metadata.issuer;
      const config = this.rp.configuration(await this.connections.access(row), metadata);
      // The ID token's signature is checked against the provider's JWKS even though it came
      // straight from the token endpoint (the library would otherwise trust the TLS channel alone).
      oidc.enableNonRepudiationChecks(config);
      const currentUrl = new URL(this.connections.urls(tenant.key).redirectUri);
      currentUrl.search = params.toString();
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      this.rp.keepJwks(tenant.id, config);
      const idClaims = tokens.claims()!;
      // The library checks exp and nbf; an ID token issued in the future is refused here.
      if (typeof idClaims.iat === 'number' && idClaims.iat > this.clock.nowMs() / 1000 + CLOCK_TOLERANCE_SECONDS)
        throw new TokenRefused('iat', 'the ID token was issued in the future ("iat" claim beyond the allowed clock skew)');
      claims = { ...idClaims };
      // Providers that follow the spec to the letter put the profile in userinfo, not the ID token.
      if (metadata.userinfo_endpoint && tokens.access_token) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      }
    } catch (err) {
      const { reason, detail } = explainFailure(err);
      if (reason === 'provider-timeout')
        return fail(504, 'The identity provider did not answer in time. Try again in a moment, or ask your administrator.', reason, detail);
      if (reason === 'provider-unreachable')
        return fail(502, 'The identity provider could not be reached. Try again in a moment, or ask your administrator.', reason, detail);
      return fail(
        403,
        `Single sign-on failed: the identity provider's answer did not pass Portico's checks (${detail}). Start again from the sign-in page, or ask your administrator.`,
        reason,
        detail,
      );
    }

    const identity = mapClaims(claims, { ...row.claimMapping });
    if (pending.purpose === 'test') {
      const result: OidcTestResult = {
        id: randomBytes(16).toString('hex'),
        at: this.clock.now().toISOString(),
        tenantId: tenant.id,
        issuer,
        subject: identity.subject,
        identity,
        claims,
        preview: await this.provisioning.preview('oidc', tenant, row, identity),
      };
      await this.audit.recordSignIn('oidc', tenant, ip, 'auth.oidc.tested', null, { issuer });
      return { kind: 'test', tenantKey: tenant.key, result };
    }

    if (!row.enabled || !(await this.settings.isMethodEnabled(tenant.id, 'oidc'))) {
      await this.audit.recordSignIn('oidc', tenant, ip, 'auth.login.refused', null, { method: 'oidc', reason: 'oidc-disabled' });
      return turnedOff();
    }
    const done = await this.signIn.finish('oidc', tenant, row, identity, ip);
    return done.kind === 'refused' ? done : { kind: 'login', next: pending.next, outcome: done.outcome };
  }

  /** A same-origin path only. */
  private returnPath(value: string | undefined): string {
    return safeNext(value?.slice(0, 2000), '/account');
  }

  private async usable(tenantKey: string): Promise<{ kind: 'ok'; tenant: TenantRef; row: TenantOidcConnection } | OidcRefusal> {
    const tenant = await this.tenants.findByKey(tenantKey);
    if (!tenant || tenant.status !== 'active') return refused(404, 'There is no sign-in page here.');
    const row = await this.connections.find(tenant.id);
    if (!row || !isConfigured(row)) return refused(404, 'OpenID Connect sign-in is not set up for this tenant.');
    return { kind: 'ok', tenant, row };
  }

  private async redirect(tenant: TenantRef, row: TenantOidcConnection, purpose: 'login' | 'test', next: string): Promise<OidcStartOutcome> {
    let metadata: oidc.ServerMetadata;
    try {
      metadata = await this.connections.metadata(row);
    } catch (err) {
      const detail = ((err as Error)?.message ?? String(err)).split('\n')[0].slice(0, 300);
      this.logger.warn(`OpenID Connect discovery failed for tenant ${tenant.key}: ${detail}`);
      const timeout = err instanceof ProviderCallFailed && err.kind === 'timeout';
      return refused(
        timeout ? 504 : 502,
        `The identity provider could not be reached (${detail}). Try again in a moment, or ask your administrator.`,
      );
    }
    const config = this.rp.configuration(await this.connections.access(row), metadata);
    const pending: PendingOidcSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      tenantId: tenant.id,
      purpose,
      next,
      at: this.clock.nowMs(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.connections.urls(tenant.key).redirectUri,
      scope: row.scopes,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      ...(purpose === 'test' ? { prompt: 'login' } : {}),
    });
    return { kind: 'redirect', url: url.toString(), pending };
  }

  private async reject(
    tenant: TenantRef,
    ip: string | null,
    status: OidcRefusal['status'],
    message: string,
    reason: string,
    detail?: string,
  ): Promise<OidcRefusal> {
    // The reason is audited; codes and tokens are never logged.
    this.logger.warn(`OpenID Connect answer refused for tenant ${tenant.key}: ${reason}${detail ? ` (${detail})` : ''}`);
    await this.audit.recordSignIn('oidc', tenant, ip, 'auth.oidc.refused', null, { reason, ...(detail ? { detail } : {}) });
    return refused(status, message);
  }
}

function turnedOff(): OidcRefusal {
  return refused(403, 'Signing in with OpenID Connect is turned off for this tenant. Ask your administrator how to sign in.');
}
