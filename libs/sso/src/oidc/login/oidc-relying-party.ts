import { Injectable } from '@nestjs/common';
import { Clock, OutboundHttpService } from '@portico/core';
import * as oidc from 'openid-client';

// Each call to the provider gets this long; a slow provider ends in a page, not a hanging request.
const CALL_TIMEOUT_MS = 5_000;
// Discovery documents, JWKS and token responses are small; anything bigger is refused.
const MAX_RESPONSE_BYTES = 256 * 1024;
/** Seconds an ID token's exp, iat and nbf may be off from Portico's clock. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/** A call to the provider that got no usable HTTP answer (address policy, timeout, network, size). */
export class ProviderCallFailed extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** What Portico needs to talk to one tenant's provider. */
export interface ProviderAccess {
  tenantId: string;
  clientId: string;
  /** client_secret_basic, client_secret_post or private_key_jwt, with its secret or key. */
  clientAuth: oidc.ClientAuth;
  allowPrivateNetwork: boolean;
}

type JwksCache = ReturnType<typeof oidc.getJwksCache>;

/**
 * openid-client (panva's certified relying-party library) wired to Portico: every request goes
 * through the outbound client (address policy, timeout, size limit), its clock is Portico's Clock,
 * and each tenant's JWKS is kept between sign-ins (the library fetches it again on an unknown `kid`).
 */
@Injectable()
export class OidcRelyingParty {
  // Each cache's `uat` is kept in Portico's clock, so the library's one-minute pause before it
  // fetches the JWKS again for an unknown `kid` (and its five-minute expiry) go by that clock too.
  private readonly jwks = new Map<string, { issuer: string; cache: NonNullable<JwksCache> }>();

  constructor(
    private readonly outbound: OutboundHttpService,
    private readonly clock: Clock,
  ) {}

  /** Reads and checks the provider's discovery document (its `issuer` must be the one configured). */
  async discover(issuer: string, allowPrivateNetwork: boolean): Promise<oidc.ServerMetadata> {
    const config = await oidc.discovery(new URL(issuer), 'portico', undefined, oidc.None(), {
      [oidc.customFetch]: this.fetcher(allowPrivateNetwork),
      execute: allowPrivateNetwork ? [oidc.allowInsecureRequests] : [],
    });
    const metadata = config.serverMetadata();
    for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const)
      if (typeof metadata[field] !== 'string') throw new ProviderCallFailed('discovery', `the discovery document has no ${field}`);
    return metadata;
  }

  /** A client configuration for one sign-in, from the stored discovery document. */
  configuration(access: ProviderAccess, metadata: oidc.ServerMetadata): oidc.Configuration {
    const skewSeconds = this.skewSeconds();
    const config = new oidc.Configuration(
      metadata,
      access.clientId,
      { [oidc.clockSkew]: skewSeconds, [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
      access.clientAuth,
    );
    config[oidc.customFetch] = this.fetcher(access.allowPrivateNetwork);
    config.timeout = CALL_TIMEOUT_MS / 1000;
    if (access.allowPrivateNetwork) oidc.allowInsecureRequests(config);
    const kept = this.jwks.get(access.tenantId);
    // A copy dated after now (the clock was set back) has no age to trust: it is fetched again.
    const fromTheFuture = kept && kept.cache.uat > Math.floor(this.clock.nowMs() / 1000);
    if (kept && kept.issuer === metadata.issuer && !fromTheFuture)
      oidc.setJwksCache(config, { ...kept.cache, uat: kept.cache.uat - skewSeconds });
    return config;
  }

  /** Keeps the JWKS the library used, so the next sign-in does not fetch it again. */
  keepJwks(tenantId: string, config: oidc.Configuration): void {
    const cache = oidc.getJwksCache(config);
    if (cache)
      this.jwks.set(tenantId, { issuer: config.serverMetadata().issuer, cache: { ...cache, uat: cache.uat + this.skewSeconds() } });
  }

  /** How far Portico's clock is from the machine's, in seconds (tests move it). */
  private skewSeconds(): number {
    return Math.round((this.clock.nowMs() - Date.now()) / 1000);
  }

  forget(tenantId: string): void {
    this.jwks.delete(tenantId);
  }

  private fetcher(allowPrivateNetwork: boolean): oidc.CustomFetch {
    return async (url, options) => {
      const headers: Record<string, string> = {};
      new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => (headers[name] = value));
      const body = options.body === undefined || options.body === null ? undefined : String(options.body);
      const res = await this.outbound.send({
        url,
        method: (options.method ?? 'GET') as 'GET' | 'POST',
        headers,
        body,
        allowPrivateNetwork,
        allowHttp: allowPrivateNetwork,
        timeoutMs: CALL_TIMEOUT_MS,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      if (!res.ok) throw new ProviderCallFailed(res.error, `${new URL(url).host}: ${res.message}`);
      const answer = new Headers();
      for (const [name, value] of Object.entries(res.headers))
        for (const v of [value ?? []].flat()) if (typeof v === 'string') answer.append(name, v);
      const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
      return new Response([204, 205, 304].includes(status) ? null : res.body, { status, headers: answer });
    };
  }
}
