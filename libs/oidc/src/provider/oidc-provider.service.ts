import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, Broadcast, CounterMetric, Metrics } from '@portico/core';
import type { TenantRef } from '@portico/tenants';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { Provider, type Configuration, type Grant, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import { OidcClientsService } from '../clients/oidc-clients.service';
import { consoleTryMetadata, consoleTryOf } from '../console/try-client';
import { SigningKeysService } from '../keys/signing-keys.service';
import { adapterClass } from '../storage/oidc-adapter';
import { OidcRepository } from '../oidc.repository';
import { OidcAccounts } from './accounts';
import { clientMetadata, providerConfiguration } from './provider-config';

/** The path the provider is mounted on: its issuer is PUBLIC_URL followed by this. */
export const OIDC_MOUNT = '/oidc';

const KEYS_TOPIC = 'oidc.keys';
// Without Redis, other instances learn of a rotation by reading the key set again this often.
const KEY_RECHECK_MS = 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;

type Callback = (req: IncomingMessage, res: ServerResponse) => void;

/** What the sessions side (consent, logout) lends the provider, registered once it exists. */
export interface ProviderSessionHooks {
  rememberedGrant(provider: Provider, accountId: string, clientId: string): Promise<Grant | undefined>;
  sendLogout(clientId: string, accountId: string, sid: string): Promise<void>;
  /** After the end-session endpoint signed a browser out (`everywhere`: of the provider session, not one client). */
  loggedOut(req: IncomingMessage, accountId: string | undefined, clientId: string | undefined, everywhere: boolean): Promise<void>;
}

/**
 * The one provider instance of this process, built from the signing keys in the database. A new
 * key set (a rotation here or on another instance) builds a new provider and swaps it in: the
 * library reads its keys once, at construction, and everything else it holds lives in the database.
 */
@Injectable()
export class OidcProviderService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OIDC');
  private current: { provider: Provider; callback: Callback; fingerprint: string } | null = null;
  private building: Promise<{ provider: Provider; callback: Callback }> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private checkedAt = 0;
  private hooks: ProviderSessionHooks | null = null;
  private readonly tokens: CounterMetric<'grant' | 'outcome'>;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: SigningKeysService,
    private readonly clients: OidcClientsService,
    private readonly store: OidcRepository,
    private readonly accounts: OidcAccounts,
    private readonly broadcast: Broadcast,
    metrics: Metrics,
  ) {
    keys.onRotated(() => this.keysChanged());
    this.tokens = metrics.counter({
      name: 'portico_oidc_tokens_total',
      help: 'Token endpoint answers of the OpenID Connect provider by grant type and outcome (issued or refused)',
      labelNames: ['grant', 'outcome'],
    });
  }

  useSessionHooks(hooks: ProviderSessionHooks): void {
    this.hooks = hooks;
  }

  get issuer(): string {
    return `${this.config.publicUrl}${OIDC_MOUNT}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.keys.ensureKeys();
    await this.entry();
    this.broadcast.subscribe(KEYS_TOPIC, () => void this.refresh());
    const sweep = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    sweep.unref();
    this.timers.push(sweep);
  }

  beforeApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** The provider, built on first use and rebuilt when the key set changed. */
  async provider(): Promise<Provider> {
    return (await this.entry()).provider;
  }

  private entry(): Promise<{ provider: Provider; callback: Callback }> {
    if (this.current && Date.now() - this.checkedAt < KEY_RECHECK_MS) return Promise.resolve(this.current);
    this.building ??= this.build().finally(() => (this.building = null));
    return this.building;
  }

  /** Express middleware for OIDC_MOUNT: hands the request to the library's own Koa app. */
  handle(req: Request, res: Response, next: (err?: unknown) => void): void {
    this.entry().then(
      ({ callback }) => {
        // Express has already decided, under TRUST_PROXY, what the protocol and address are; the
        // library's Koa app reads them from these headers (it trusts them: provider.proxy).
        req.headers['x-forwarded-proto'] = req.protocol;
        req.headers['x-forwarded-for'] = req.ip ?? '';
        // The library routes on the path below its mount point, whatever Express left in req.url.
        req.url = req.originalUrl.slice(OIDC_MOUNT.length) || '/';
        callback(req, res);
      },
      (err: unknown) => next(err),
    );
  }

  /** After a rotation here: build the new provider now and tell the other instances. */
  async keysChanged(): Promise<void> {
    await this.refresh();
    await this.broadcast.publish(KEYS_TOPIC, 'rotated');
  }

  async sweep(): Promise<void> {
    try {
      await this.store.sweep();
      await this.keys.pruneRetired();
    } catch (err) {
      this.logger.warn(`Sweeping expired OIDC artefacts failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async refresh(): Promise<void> {
    this.checkedAt = 0;
    await this.entry();
  }

  private async build(): Promise<{ provider: Provider; callback: Callback }> {
    const set = await this.keys.keySet();
    this.checkedAt = Date.now();
    if (this.current && this.current.fingerprint === set.fingerprint) return this.current;
    const provider = new Provider(this.issuer, this.configuration(set.keys as JWK[]));
    provider.proxy = true;
    const clients = this.clients;
    // Secrets are stored as SHA-256 digests: hash what the client presents and compare in constant time.
    (
      provider.Client.prototype as unknown as { compareClientSecret(this: { clientSecret: string }, actual: string): boolean }
    ).compareClientSecret = function (actual) {
      return typeof actual === 'string' && clients.secretMatches(this.clientSecret, actual);
    };
    // A refresh answers with new tokens but no new ID token (OIDC Core 12.2 leaves it optional): the
    // sign-in it would describe has not changed, and signing one per refresh was its largest cost.
    const idToken = provider.IdToken.prototype as unknown as {
      ctx?: KoaContextWithOIDC;
      issue(this: { ctx?: KoaContextWithOIDC }, options?: { use?: string }): Promise<string | undefined>;
    };
    const issue = idToken.issue;
    idToken.issue = function (options) {
      if (options?.use === 'idtoken' && isRefreshGrant(this.ctx)) return Promise.resolve(undefined);
      return issue.call(this, options);
    };
    // Every ID token names its session (sid), not only for clients with a back-channel logout URI.
    (provider.Client.prototype as unknown as { includeSid(): boolean }).includeSid = () => true;
    // Logout tokens go through Portico's outbound client as jobs with retries, not the library's own HTTP call.
    const hooks = () => this.hooks;
    (
      provider.Client.prototype as unknown as { backchannelLogout(this: { clientId: string }, sub: string, sid: string): Promise<void> }
    ).backchannelLogout = function (sub, sid) {
      return hooks()?.sendLogout(this.clientId, sub, sid) ?? Promise.resolve();
    };
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => this.tokens.inc({ grant: grantLabel(ctx), outcome: 'issued' }));
    provider.on('grant.error', (ctx: KoaContextWithOIDC) => this.tokens.inc({ grant: grantLabel(ctx), outcome: 'refused' }));
    provider.on('server_error', (_ctx: unknown, err: Error) => this.logger.error(`OIDC provider error: ${err.message}`));
    // The Portico session ends before the answer leaves (a Koa middleware after the route), so the
    // browser's next request cannot find it, nor save it back while it is being destroyed.
    provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
      const session = ctx.oidc.entities.Session as { accountId?: string } | undefined;
      ctx.state.porticoLoggedOut = {
        accountId: session?.accountId,
        clientId: ctx.oidc.client?.clientId,
        everywhere: Boolean(ctx.oidc.params?.logout),
      };
    });
    provider.use(async (ctx, next) => {
      await next();
      const out = ctx.state.porticoLoggedOut as { accountId?: string; clientId?: string; everywhere: boolean } | undefined;
      if (!out) return;
      await this.hooks
        ?.loggedOut(ctx.req, out.accountId, out.clientId, out.everywhere)
        .catch((err: unknown) => this.logger.warn(`Ending the Portico session after a logout failed: ${String(err)}`));
    });
    this.current = { provider, callback: provider.callback() as Callback, fingerprint: set.fingerprint };
    return this.current;
  }

  private configuration(keys: JWK[]): Configuration {
    const accounts = this.accounts;
    const clients = this.clients;
    return providerConfiguration({
      config: this.config,
      keys,
      adapter: adapterClass(this.store, {
        metadataFor: async (clientId) => {
          const tryOf = consoleTryOf(clientId);
          const found = await clients.findForProvider(tryOf ?? clientId);
          // A suspended tenant's clients are unknown to the provider (no token, no sign-in) while it lasts.
          if (!found || (found.tenant && found.tenant.status !== 'active')) return undefined;
          const metadata = clientMetadata(found.client, found.tenant);
          return tryOf ? consoleTryMetadata(metadata, this.config.publicUrl) : metadata;
        },
      }),
      findAccount: async (ctx: KoaContextWithOIDC, sub: string) => {
        const client = ctx.oidc?.client as { portico_tenant_id?: string | null; portico_tenant?: TenantRef | null } | undefined;
        return accounts.find(sub, client ? { tenantId: client.portico_tenant_id ?? null, tenant: client.portico_tenant ?? null } : null);
      },
      loadExistingGrant: async (ctx) => {
        const clientId = ctx.oidc.client!.clientId;
        const session = ctx.oidc.session!;
        const grantId = (ctx.oidc.result?.consent as { grantId?: string } | undefined)?.grantId || session.grantIdFor(clientId);
        const current = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
        if (current || !session.accountId || !this.hooks) return current;
        // Consent is remembered per user and client, beyond this browser's session.
        const remembered = await this.hooks.rememberedGrant(ctx.oidc.provider, session.accountId, clientId);
        if (remembered) session.grantIdFor(clientId, remembered.jti);
        return remembered;
      },
      logoutPage: (ctx, form) => {
        const action = /action="([^"]*)"/.exec(form)?.[1] ?? '';
        const xsrf = /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';
        return render(ctx, 'pages/public/oidc-logout', 'Sign out', { action, xsrf, clientName: ctx.oidc.client?.clientName ?? null });
      },
      loggedOutPage: (ctx) =>
        render(ctx, 'pages/public/oidc-logged-out', 'Signed out', { clientName: ctx.oidc.client?.clientName ?? null }),
      extraTokenClaims: async (ctx, token) => {
        // A client credentials token is the client acting for itself: it names the client's tenant,
        // as read with the client for this request (no second lookup per grant).
        if (token.kind !== 'ClientCredentials') return undefined;
        const client = ctx.oidc?.client as { clientId: string; portico_tenant_key?: string | null } | undefined;
        if (client && client.clientId === token.clientId) return { tenant: client.portico_tenant_key ?? null };
        const found = await clients.findForProvider(token.clientId!);
        return { tenant: found?.tenant?.key ?? null };
      },
    });
  }
}

/** A page in Portico's public layout, rendered by the Express app's view engine (auto-escaped). */
function render(ctx: KoaContextWithOIDC, view: string, title: string, locals: Record<string, unknown>): Promise<string> {
  const res = ctx.res as unknown as Response;
  return new Promise((resolve, reject) =>
    res.render(view, { layout: 'layouts/public', title, ...locals }, (err: Error | null, html: string) =>
      err ? reject(err) : resolve(html),
    ),
  );
}

const GRANTS = new Set(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);

/** The grant type as a label: a caller's made-up grant_type is `other`, so the label set stays bounded. */
function grantLabel(ctx: KoaContextWithOIDC): string {
  const grant = ctx.oidc?.params?.grant_type;
  return typeof grant === 'string' && GRANTS.has(grant) ? grant : 'other';
}

function isRefreshGrant(ctx: KoaContextWithOIDC | undefined): boolean {
  return ctx?.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token';
}
