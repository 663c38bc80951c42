import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { UserSessionsService } from '@portico/auth';
import { AuditService, JobQueue, NotFoundError, RequestContext } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { UsersService } from '@portico/users';
import type { Request, Response } from 'express';
import type { Grant, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { OidcClientsService } from '../clients/oidc-clients.service';
import { OidcProviderService } from '../provider/oidc-provider.service';
import { OidcRepository } from '../oidc.repository';

export const BACKCHANNEL_JOB = 'oidc.backchannel-logout';

/** One logout token to send: to whom, for which session. */
export interface BackchannelLogoutJob {
  clientId: string;
  accountId: string;
  sid: string;
  /** 0 for the first try. */
  attempt: number;
}

/** An application the user let sign them in, as the account page and the sessions API show it. */
export interface AuthorizedApplication {
  clientId: string;
  name: string;
  scopes: string[];
  grantedAt: Date;
}

interface StoredSession {
  id: string;
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;
}

// The consent a user gave a client, kept beside the library's artefacts (one per user and client).
const CONSENT = 'Consent';
const consentId = (accountId: string, clientId: string) => `${accountId}:${clientId}`;

/**
 * The provider's sessions and grants seen from Portico: signing out (here, at an application, or
 * everywhere because the user or tenant may no longer sign in), the back-channel logout tokens that
 * tells the applications, and the consent a user gave each application until they revoke it.
 */
@Injectable()
export class OidcSessions implements OnModuleInit {
  private readonly logger = new Logger('OIDC');
  private readonly system = RequestContext.system('oidc');

  constructor(
    private readonly oidc: OidcProviderService,
    private readonly store: OidcRepository,
    private readonly clients: OidcClientsService,
    private readonly jobs: JobQueue,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditService,
    private readonly portico: UserSessionsService,
  ) {}

  onModuleInit(): void {
    // The sessions page and API list and end a user's applications beside their Portico sessions.
    this.portico.useApplications({
      list: (ctx, userId) => this.authorizedApplications(ctx, userId),
      revokeAll: (_ctx, userId) => this.endAccount(userId, 'sessions ended'),
    });
    this.oidc.useSessionHooks({
      rememberedGrant: (provider, accountId, clientId) => this.rememberedGrant(provider, accountId, clientId),
      sendLogout: (clientId, accountId, sid) => this.sendLogout(clientId, accountId, sid),
      loggedOut: async (req, accountId, clientId, everywhere) => {
        // An application signed the person out of the provider: their Portico session ends with it.
        if (everywhere) await this.portico.endCookieSession(req.headers.cookie);
        if (accountId) await this.record('oidc.logout', accountId, { via: 'application', clientId: clientId ?? null, everywhere });
      },
    });
  }

  /**
   * Portico's sign-out: ends the provider session this browser holds (so single sign-on does not
   * outlive it), revokes the grants that do not outlive a logout, and tells the applications.
   */
  async endBrowserSession(req: Request, res: Response): Promise<void> {
    const provider = await this.oidc.provider();
    const session = (await provider.Session.get({
      req,
      res,
      secure: req.secure,
    } as unknown as KoaContextWithOIDC)) as unknown as StoredSession & {
      destroy(): Promise<void>;
      new?: boolean;
    };
    if (session.accountId) {
      await this.endSessions([session], false);
      await this.record('oidc.logout', session.accountId, { via: 'portico', clients: Object.keys(session.authorizations ?? {}) }, req.ip);
    }
    // The cookie would name nothing now; do not leave it behind.
    res.clearCookie('portico.oidc', { path: '/' });
    res.clearCookie('portico.oidc.sig', { path: '/' });
  }

  /** Everything the user holds goes now (disabled, deleted): sessions, grants, tokens; every application is told. */
  async endAccount(accountId: string, reason: string): Promise<void> {
    const sessions = await this.store.ownedBy('Session', accountId);
    await this.endSessions(
      sessions.map((s) => ({ ...(s.payload as Omit<StoredSession, 'id'>), id: s.id })),
      true,
    );
    await this.store.revokeAccount(accountId);
    if (sessions.length) this.logger.log(`Ended ${sessions.length} OIDC session(s) of a user (${reason})`);
  }

  /** A suspended tenant: its users' sessions and tokens, and what its own clients hold, go now. */
  async endTenant(tenantId: string): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const page = await this.store.accountsPage(after, 500);
      if (!page.length) break;
      for (const accountId of page) {
        const user = await this.users.find(this.system, accountId);
        if (!user || user.tenantId === tenantId) await this.endAccount(accountId, 'tenant suspended');
      }
      after = page[page.length - 1];
    }
    for (const clientId of await this.clients.clientIdsOfTenant(tenantId)) await this.store.revokeClient(clientId);
  }

  /** The applications a user has authorized (consented to), newest first. `ctx` must be able to see the user. */
  async authorizedApplications(ctx: RequestContext, userId: string): Promise<AuthorizedApplication[]> {
    await this.visibleUser(ctx, userId);
    const consents = await this.store.ownedBy(CONSENT, userId);
    const apps: AuthorizedApplication[] = [];
    for (const c of consents) {
      const found = c.clientId ? await this.clients.findForProvider(c.clientId) : null;
      if (!found) continue;
      apps.push({
        clientId: found.client.clientId,
        name: found.client.name,
        scopes: String(c.payload.scope ?? '')
          .split(' ')
          .filter(Boolean),
        grantedAt: c.createdAt,
      });
    }
    return apps;
  }

  /** Withdraws the user's consent to one application and revokes every grant and token it holds for them. */
  async revokeApplication(ctx: RequestContext, userId: string, clientId: string): Promise<void> {
    const user = await this.visibleUser(ctx, userId);
    await this.store.revokeAccount(userId, clientId);
    const tenant = user.tenantId ? await this.tenants.findById(user.tenantId) : null;
    await this.audit.recordSignIn(ctx.actor.label, tenant, ctx.ip, 'oidc.authorization.revoked', userId, { clientId });
  }

  /** Remembers what the user allowed the client, so the next sign-in there does not ask again. */
  async rememberConsent(grant: Grant): Promise<void> {
    const accountId = grant.accountId!;
    const clientId = grant.clientId!;
    const previous = await this.store.find(CONSENT, consentId(accountId, clientId));
    const scopes = new Set([
      ...String(previous?.payload.scope ?? '')
        .split(' ')
        .filter(Boolean),
      ...grant.getOIDCScope().split(' ').filter(Boolean),
    ]);
    const claims = new Set([...((previous?.payload.claims as string[] | undefined) ?? []), ...grant.getOIDCClaims()]);
    await this.store.upsert(
      CONSENT,
      consentId(accountId, clientId),
      { accountId, clientId, scope: [...scopes].join(' '), claims: [...claims] },
      null,
    );
  }

  /**
   * For the provider's loadExistingGrant: a grant made from the consent the user gave this client
   * earlier (in another session, maybe another browser), or undefined when they never did.
   */
  async rememberedGrant(provider: Provider, accountId: string, clientId: string): Promise<Grant | undefined> {
    const consent = await this.store.find(CONSENT, consentId(accountId, clientId));
    if (!consent) return undefined;
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(consent.payload.scope ?? ''));
    const claims = consent.payload.claims as string[] | undefined;
    if (claims?.length) grant.addOIDCClaims(claims);
    await grant.save();
    return grant;
  }

  /** Back-channel logout to each application a session signed in to; its grants go unless they outlive a logout. */
  private async endSessions(sessions: StoredSession[], everything: boolean): Promise<void> {
    for (const session of sessions) {
      for (const [clientId, auth] of Object.entries(session.authorizations ?? {})) {
        if (session.accountId && auth.sid) await this.sendLogout(clientId, session.accountId, auth.sid);
        if (auth.grantId && (everything || !auth.persistsLogout)) await this.store.revokeByGrantId(auth.grantId);
      }
      await this.store.destroy('Session', session.id);
    }
  }

  /** Queues a logout token for the client, if it has a back-channel logout URI. */
  async sendLogout(clientId: string, accountId: string, sid: string): Promise<void> {
    const found = await this.clients.findForProvider(clientId);
    if (!found?.client.backchannelLogoutUri) return;
    const job: BackchannelLogoutJob = { clientId, accountId, sid, attempt: 0 };
    await this.jobs.enqueue(BACKCHANNEL_JOB, job);
  }

  private async visibleUser(ctx: RequestContext, userId: string) {
    const user = await this.users.find(ctx, userId);
    if (!user) throw new NotFoundError('User');
    return user;
  }

  private async record(action: string, accountId: string, details: Record<string, unknown>, ip?: string): Promise<void> {
    const user = await this.users.find(this.system, accountId);
    const tenant = user?.tenantId ? await this.tenants.findById(user.tenantId) : null;
    await this.audit.recordSignIn('oidc', tenant, ip ?? null, action, accountId, details);
  }

  /** Audits an RP-initiated logout (the provider's end-session endpoint). */
  recordLogout(accountId: string, details: Record<string, unknown>, ip?: string): Promise<void> {
    return this.record('oidc.logout', accountId, details, ip);
  }

  /** Audits an authorization the user granted (consent given, or a first-party client's implied one). */
  recordGrant(accountId: string, clientId: string, scope: string, ip?: string): Promise<void> {
    return this.record('oidc.authorization.granted', accountId, { clientId, scope }, ip);
  }
}
