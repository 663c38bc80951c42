import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { InteractionResults } from 'oidc-provider';
import { OidcSessions } from '../logout/oidc-sessions.service';
import { OidcAccounts } from '../provider/accounts';
import { OidcProviderService } from '../provider/oidc-provider.service';

/** An authorization request waiting on Portico's pages, as those pages need to see it. */
export interface PendingAuthorization {
  uid: string;
  prompt: 'login' | 'consent' | string;
  reasons: string[];
  clientId: string;
  clientName: string;
  /** The tenant whose users this client signs in (its sign-in page), or null for a vendor-wide client. */
  clientTenantKey: string | null;
  clientTenantId: string | null;
  firstParty: boolean;
  scopes: string[];
  /** `tenant={key}` from the request, for a vendor-wide client. */
  requestedTenant: string | null;
  maxAge: number | null;
  /** When the request reached Portico (seconds since the epoch). */
  startedAt: number;
  /** `login_hint`: what the sign-in page's login field starts with. */
  loginHint: string | null;
}

const REFUSALS = {
  unknown: 'The account does not exist',
  disabled: 'The account is disabled',
  'tenant-suspended': 'The account’s tenant is suspended',
  'other-tenant': 'The account may not sign in to this application',
} as const;

/** The glue between the provider's interaction sessions and Portico's sign-in and consent pages. */
@Injectable()
export class OidcInteractions {
  constructor(
    private readonly oidc: OidcProviderService,
    private readonly accounts: OidcAccounts,
    private readonly sessions: OidcSessions,
  ) {}

  /** The pending request of this browser, or null when its interaction is unknown or expired. */
  async pending(req: Request, res: Response, uid: string): Promise<PendingAuthorization | null> {
    const provider = await this.oidc.provider();
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      return null;
    }
    if (details.uid !== uid) return null;
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) return null;
    const extra = client as unknown as Record<string, unknown>;
    const maxAge = details.params.max_age === undefined ? null : Number(details.params.max_age);
    return {
      uid: details.uid,
      prompt: details.prompt.name,
      reasons: details.prompt.reasons,
      clientId: client.clientId,
      clientName: client.clientName ?? client.clientId,
      clientTenantKey: (extra.portico_tenant_key as string | null) ?? null,
      clientTenantId: (extra.portico_tenant_id as string | null) ?? null,
      firstParty: extra.portico_first_party === true,
      scopes: String(details.params.scope ?? '')
        .split(' ')
        .filter(Boolean),
      requestedTenant: typeof details.params.tenant === 'string' ? details.params.tenant : null,
      maxAge: Number.isFinite(maxAge) ? maxAge : null,
      startedAt: details.iat,
      loginHint:
        typeof details.params.login_hint === 'string' && details.params.login_hint.length <= 320 ? details.params.login_hint : null,
    };
  }

  /**
   * Signs `userId` in for the pending request, or sends `access_denied` back to the client when the
   * user may not use it (disabled, suspended tenant, another tenant's client). Answers where the browser goes next.
   */
  async signIn(
    req: Request,
    res: Response,
    pending: PendingAuthorization,
    userId: string,
    authTime: number,
    amr: string[],
  ): Promise<string> {
    const found = await this.accounts.check(userId, { tenantId: pending.clientTenantId });
    if (typeof found === 'string') return this.deny(req, res, REFUSALS[found]);
    return this.result(req, res, { login: { accountId: userId, amr, ts: authTime, remember: false } });
  }

  /** The user agreed (or the client is first party): record the grant and go on. */
  async consent(req: Request, res: Response): Promise<string> {
    const provider = await this.oidc.provider();
    const details = await provider.interactionDetails(req, res);
    const accountId = details.session?.accountId;
    if (!accountId) return this.deny(req, res, 'No one is signed in');
    const client = (await provider.Client.find(String(details.params.client_id))) as unknown as Record<string, unknown> | undefined;
    const found = await this.accounts.check(accountId, { tenantId: (client?.portico_tenant_id as string | null) ?? null });
    if (typeof found === 'string') return this.deny(req, res, REFUSALS[found]);
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) }))
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await this.sessions.rememberConsent(grant);
    await this.sessions.recordGrant(accountId, String(details.params.client_id), grant.getOIDCScope(), req.ip);
    return this.result(req, res, { consent: { grantId } });
  }

  /** Sends `access_denied` back to the client. */
  deny(req: Request, res: Response, description: string): Promise<string> {
    return this.result(req, res, { error: 'access_denied', error_description: description });
  }

  private async result(req: Request, res: Response, result: InteractionResults): Promise<string> {
    const provider = await this.oidc.provider();
    return provider.interactionResult(req, res, result);
  }
}
