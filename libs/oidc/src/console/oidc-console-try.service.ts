import { Injectable } from '@nestjs/common';
import { AppConfig, Clock, CryptoService, InvalidInputError, RequestContext } from '@portico/core';
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { OidcClientsService } from '../clients/oidc-clients.service';
import { SigningKeysService } from '../keys/signing-keys.service';
import { OidcProviderService } from '../provider/oidc-provider.service';
import { consoleTryCallbackPath, consoleTryClientId } from './try-client';

/**
 * What the callback needs to finish a try, sealed (encrypted and authenticated) into the `state`
 * parameter: only an admin's start makes one, and it survives the session the sign-in replaces.
 */
interface TryState {
  clientId: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
}

/** What a try got back: the ID token's claims and the userinfo answer, or the error the provider sent. */
export type ConsoleTryResult =
  | {
      ok: true;
      clientId: string;
      idToken: JWTPayload;
      idTokenHeader: { alg: string; kid?: string };
      userinfo: Record<string, unknown>;
      scope: string;
    }
  | { ok: false; clientId: string; error: string; description: string | null };

const TRY_LIFETIME_MS = 15 * 60_000;
const b64url = (bytes: Buffer) => bytes.toString('base64url');

/** The console's "try sign-in": an application's authorization flow, redeemed by Portico itself to show what the application would get. */
@Injectable()
export class OidcConsoleTry {
  constructor(
    private readonly config: AppConfig,
    private readonly crypto: CryptoService,
    private readonly clients: OidcClientsService,
    private readonly keys: SigningKeysService,
    private readonly oidc: OidcProviderService,
    private readonly clock: Clock,
  ) {}

  /** The authorization URL to send the browser to. */
  async start(ctx: RequestContext, clientId: string, options: { freshSignIn: boolean }): Promise<string> {
    const client = await this.clients.get(ctx, clientId);
    if (!client.grantTypes.includes('authorization_code'))
      throw new InvalidInputError('This application does not sign people in: it has no authorization_code grant');
    const provider = await this.oidc.provider();
    const state: TryState = {
      clientId,
      nonce: b64url(randomBytes(16)),
      verifier: b64url(randomBytes(32)),
      expiresAt: this.clock.nowMs() + TRY_LIFETIME_MS,
    };
    const params = new URLSearchParams({
      client_id: consoleTryClientId(clientId),
      response_type: 'code',
      redirect_uri: this.redirectUri(clientId),
      scope: client.scopes.filter((s) => s !== 'offline_access').join(' '),
      state: this.crypto.encrypt(JSON.stringify(state)),
      nonce: state.nonce,
      code_challenge: b64url(createHash('sha256').update(state.verifier).digest()),
      code_challenge_method: 'S256',
      ...(options.freshSignIn ? { prompt: 'login' } : {}),
    });
    return `${this.config.publicUrl}${provider.pathFor('authorization')}?${params}`;
  }

  /**
   * Redeems the code the callback received and reads userinfo. `selfBase` is where this process
   * itself is listening (the callback's own socket), so the exchange never leaves the host.
   */
  async finish(clientId: string, query: Record<string, unknown>, selfBase: string): Promise<ConsoleTryResult> {
    const started = this.unseal(query.state);
    if (!started || started.clientId !== clientId || started.expiresAt < this.clock.nowMs())
      throw new InvalidInputError(
        'This is not the answer to a sign-in try of this application, or the try expired: start it again from the application’s page in the console',
      );
    const fail = (error: string, description: unknown) => ({
      ok: false as const,
      clientId,
      error,
      description: typeof description === 'string' ? description.slice(0, 500) : null,
    });
    if (typeof query.error === 'string') return fail(query.error.slice(0, 100), query.error_description);
    const issuer = this.oidc.issuer;
    if (query.iss !== issuer) return fail('invalid_response', 'The answer does not name Portico’s issuer (iss)');
    if (typeof query.code !== 'string' || !query.code) return fail('invalid_response', 'The answer carries no code');

    const provider = await this.oidc.provider();
    const tokenRes = await fetch(`${selfBase}${provider.pathFor('token')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: query.code,
        redirect_uri: this.redirectUri(clientId),
        client_id: consoleTryClientId(clientId),
        code_verifier: started.verifier,
      }),
    });
    const tokens = (await tokenRes.json()) as Record<string, unknown>;
    if (!tokenRes.ok || typeof tokens.id_token !== 'string' || typeof tokens.access_token !== 'string')
      return fail(String(tokens.error ?? `token endpoint answered ${tokenRes.status}`), tokens.error_description);

    const jwks = createLocalJWKSet({ keys: (await this.keys.list()).map((k) => k.publicJwk as JWK) });
    let verified;
    try {
      verified = await jwtVerify(tokens.id_token, jwks, {
        issuer,
        audience: consoleTryClientId(clientId),
        algorithms: ['RS256', 'ES256'],
      });
    } catch (err) {
      return fail('invalid_id_token', err instanceof Error ? err.message : null);
    }
    if (verified.payload.nonce !== started.nonce) return fail('invalid_id_token', 'The ID token’s nonce is not the one this try sent');

    const userinfoRes = await fetch(`${selfBase}${provider.pathFor('userinfo')}`, {
      headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' },
    });
    if (!userinfoRes.ok) return fail('userinfo_failed', `userinfo answered ${userinfoRes.status}`);
    return {
      ok: true,
      clientId,
      idToken: verified.payload,
      idTokenHeader: { alg: verified.protectedHeader.alg, kid: verified.protectedHeader.kid },
      userinfo: (await userinfoRes.json()) as Record<string, unknown>,
      scope: typeof tokens.scope === 'string' ? tokens.scope : '',
    };
  }

  private redirectUri(clientId: string): string {
    return `${this.config.publicUrl}${consoleTryCallbackPath(clientId)}`;
  }

  private unseal(sealed: unknown): TryState | null {
    if (typeof sealed !== 'string' || sealed.length > 2000) return null;
    try {
      return JSON.parse(this.crypto.decrypt(sealed)) as TryState;
    } catch {
      return null;
    }
  }
}
