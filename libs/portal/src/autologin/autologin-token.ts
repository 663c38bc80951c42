import { Injectable } from '@nestjs/common';
import { DomainException, ErrorCode, isUniqueViolation, TransactionService } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { PortalRepository } from '../portal.repository';
import { AutologinSecretsService } from './autologin-secrets.service';
import type { AutologinMethod } from './entities/autologin-session.entity';

/** A JWT may not live longer than this: a leaked one is worthless soon, and its jti row can go soon. */
export const MAX_JWT_LIFETIME_S = 300;
// Clocks of two machines differ a little; a token "not yet valid" by a few seconds is still accepted.
const CLOCK_TOLERANCE_S = 5;

export interface VerifiedToken {
  tenant: TenantRef;
  method: AutologinMethod;
  /** The JWT's `sub`, which must then name the user signing in. */
  subject: string | null;
}

/**
 * A token that does not sign anyone in: 401, with the reason kept for the audit trail. `signed`: the
 * token carried the tenant's signature (expired, replayed…), a portal's mistake rather than a guess.
 */
export class AutologinTokenError extends DomainException {
  constructor(
    readonly reason: string,
    message: string,
    readonly tenant: TenantRef | null = null,
    readonly signed = false,
  ) {
    super(ErrorCode.Unauthenticated, message);
  }
}

const WRONG_TOKEN = 'The autologin token is not valid for this tenant. Send the tenant’s autologin secret, or a JWT signed with it.';

/**
 * What an autologin `token` is, and for which tenant. Either the tenant's secret itself, or a JWT
 * signed with it (HS256) whose `iss` is the tenant key, with `exp` at most five minutes ahead and a
 * `jti` that is accepted once. `tenantKey`, when the caller sends it, must be the token's tenant.
 */
@Injectable()
export class AutologinTokens {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: PortalRepository,
    private readonly tenants: TenantsService,
    private readonly secrets: AutologinSecretsService,
  ) {}

  async verify(token: string, tenantKey: string | undefined, now: Date): Promise<VerifiedToken> {
    return token.split('.').length === 3 ? this.verifyJwt(token, tenantKey, now) : this.verifySecret(token, tenantKey);
  }

  private async verifySecret(secret: string, tenantKey: string | undefined): Promise<VerifiedToken> {
    const named = tenantKey ? await this.tenants.findByKey(tenantKey) : null;
    if (tenantKey && !named) throw new AutologinTokenError('unknown-tenant', WRONG_TOKEN);
    const tenantId = await this.secrets.tenantOfSecret(secret, named?.id ?? null);
    const tenant = tenantId ? (named ?? (await this.tenants.findById(tenantId))) : null;
    if (!tenant) throw new AutologinTokenError('wrong-secret', WRONG_TOKEN, named);
    return { tenant, method: 'secret', subject: null };
  }

  private async verifyJwt(token: string, tenantKey: string | undefined, now: Date): Promise<VerifiedToken> {
    let alg: unknown;
    let issuer: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      issuer = decodeJwt(token).iss;
    } catch {
      throw new AutologinTokenError('malformed-jwt', 'The autologin token looks like a JWT but cannot be decoded.');
    }
    if (alg !== 'HS256') throw new AutologinTokenError('jwt-alg', 'The autologin JWT must be signed with HS256 (header alg "HS256").');
    if (typeof issuer !== 'string' || !issuer)
      throw new AutologinTokenError('jwt-iss', 'The autologin JWT must name its tenant key in "iss".');
    if (tenantKey && tenantKey !== issuer)
      throw new AutologinTokenError('jwt-iss', 'tenantKey and the JWT’s "iss" name different tenants.');
    const tenant = await this.tenants.findByKey(issuer);
    const key = tenant ? await this.secrets.keyOf(tenant.id) : null;
    if (!tenant || !key) throw new AutologinTokenError('unknown-tenant', WRONG_TOKEN, tenant);

    let payload: { exp?: number; jti?: string; sub?: string };
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: tenant.key,
        requiredClaims: ['exp', 'jti'],
        currentDate: now,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      throw jwtError(err, tenant);
    }
    const secondsLeft = payload.exp! - now.getTime() / 1000;
    if (secondsLeft > MAX_JWT_LIFETIME_S + CLOCK_TOLERANCE_S)
      throw new AutologinTokenError(
        'jwt-exp-too-far',
        `The autologin JWT's "exp" must be at most ${MAX_JWT_LIFETIME_S / 60} minutes ahead.`,
        tenant,
        true,
      );
    const jti = payload.jti!;
    if (typeof jti !== 'string' || !jti || jti.length > 255)
      throw new AutologinTokenError('jwt-jti', 'The autologin JWT\'s "jti" must be text of 1 to 255 characters.', tenant, true);
    await this.consume(tenant, jti, new Date(payload.exp! * 1000));
    return { tenant, method: 'jwt', subject: typeof payload.sub === 'string' ? payload.sub : null };
  }

  /** Accepts the jti once: the database's unique constraint decides between two concurrent uses. */
  private async consume(tenant: TenantRef, jti: string, expiresAt: Date): Promise<void> {
    try {
      await this.tx.run(() => this.repository.insertJwtId(tenant.id, jti, expiresAt));
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AutologinTokenError(
          'jwt-replayed',
          'This autologin JWT was already used ("jti" is accepted once). Sign a new one.',
          tenant,
          true,
        );
      throw err;
    }
  }
}

/**
 * The tenant a token claims to be for, before anything is verified: `tenantKey`, else a JWT's `iss`.
 * Only what its failures count against; null for a bare secret sent without `tenantKey`.
 */
export function claimedTenantKey(token: string, tenantKey: string | undefined): string | null {
  if (tenantKey) return tenantKey;
  if (token.split('.').length !== 3) return null;
  try {
    const issuer = decodeJwt(token).iss;
    return typeof issuer === 'string' && issuer ? issuer : null;
  } catch {
    return null;
  }
}

function jwtError(err: unknown, tenant: TenantRef): AutologinTokenError {
  if (err instanceof joseErrors.JWTExpired)
    return new AutologinTokenError('jwt-expired', 'The autologin JWT has expired. Sign a new one.', tenant, true);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new AutologinTokenError('jwt-signature', WRONG_TOKEN, tenant);
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return new AutologinTokenError(`jwt-claim-${err.claim}`, `The autologin JWT was refused: ${err.message}.`, tenant, true);
  return new AutologinTokenError('malformed-jwt', 'The autologin JWT cannot be verified.', tenant);
}
