import { Injectable } from '@nestjs/common';
import { AuditService, CryptoService, isUniqueViolation, RequestContext, TransactionService } from '@portico/core';
import { OidcRepository } from '../oidc.repository';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SIGNING_ALGS, OidcSigningKey, type SigningAlg } from '../entities/oidc-signing-key.entity';
import { SigningKeyView } from '../dto/signing-key.dto';

const generate = promisify(generateKeyPair) as (
  type: 'rsa' | 'ec',
  options: { modulusLength?: number; namedCurve?: string },
) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

/**
 * How long a replaced key stays in the JWKS: past the longest life of anything it signed (ID tokens,
 * JWT access tokens, logout tokens), with the clock tolerance on top.
 */
export const KEY_OVERLAP_SECONDS = 24 * 3600 + 60;

export interface SigningKeySet {
  /** Private JWKs, the signing key of each algorithm first (the provider signs with the first match). */
  keys: JWK[];
  /** Changes whenever the set does: instances compare it to know whether to rebuild. */
  fingerprint: string;
}

/** The provider's signing keys: made at first start, rotated on request, private parts sealed at rest. */
@Injectable()
export class SigningKeysService {
  private readonly rotatedListeners: (() => Promise<void>)[] = [];

  constructor(
    private readonly tx: TransactionService,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly repository: OidcRepository,
  ) {}

  /** Makes an RS256 and an ES256 key unless they exist; safe when several instances start at once. */
  async ensureKeys(): Promise<void> {
    for (const alg of SIGNING_ALGS) {
      const exists = await this.repository.keyExists(alg);
      if (!exists) await this.insertKey(alg, 1);
    }
  }

  /** Keys still published: the active one of each algorithm and those not yet retired. */
  async keySet(now = new Date()): Promise<SigningKeySet> {
    const rows = await this.published(now);
    const keys = rows.map((k) => ({ ...(JSON.parse(this.crypto.decrypt(k.privateJwkSealed)) as JWK), kid: k.kid, alg: k.alg, use: 'sig' }));
    return { keys, fingerprint: rows.map((k) => `${k.kid}:${k.retiresAt?.getTime() ?? ''}`).join(',') };
  }

  /** Told after a rotation, so the provider of this process rebuilds and tells the other instances. */
  onRotated(listener: () => Promise<void>): void {
    this.rotatedListeners.push(listener);
  }

  async list(now = new Date()): Promise<SigningKeyView[]> {
    return (await this.published(now)).map(toView);
  }

  /** A new key of each algorithm signs from now on; the previous ones verify until every token they signed has expired. */
  async rotate(ctx: RequestContext, now = new Date()): Promise<SigningKeyView[]> {
    const retiresAt = new Date(now.getTime() + KEY_OVERLAP_SECONDS * 1000);
    for (const alg of SIGNING_ALGS) {
      const latest = await this.repository.latestKey(alg);
      const created = await this.insertKey(alg, (latest?.generation ?? 0) + 1);
      if (!created) continue;
      await this.tx.run(async () => {
        await this.repository.retireKey(alg, created.generation - 1, retiresAt);
        await this.audit.record(ctx, {
          action: 'oidc_key.rotated',
          targetType: 'oidc_signing_key',
          targetId: created.id,
          details: { kid: created.kid, alg, previousRetiresAt: retiresAt.toISOString() },
        });
      });
    }
    for (const listener of this.rotatedListeners) await listener();
    return this.list(now);
  }

  /** Deletes keys past their retirement. */
  async pruneRetired(now = new Date()): Promise<void> {
    await this.repository.deleteKeysRetiredBefore(now);
  }

  private async published(now: Date): Promise<OidcSigningKey[]> {
    const rows = await this.repository.publishedKeys(now);
    // Newest first within each algorithm: the provider signs with the first key that fits.
    return rows.sort((a, b) => b.generation - a.generation || a.alg.localeCompare(b.alg));
  }

  /** Null when another instance made this generation first. */
  private async insertKey(alg: SigningAlg, generation: number): Promise<OidcSigningKey | null> {
    const pair = alg === 'RS256' ? await generate('rsa', { modulusLength: 2048 }) : await generate('ec', { namedCurve: 'P-256' });
    const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(publicJwk);
    const key = this.repository.newKey({
      kid,
      alg,
      generation,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      privateJwkSealed: this.crypto.encrypt(JSON.stringify(pair.privateKey.export({ format: 'jwk' }))),
    });
    try {
      await this.repository.saveKey(key);
      return key;
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }
}

function toView(k: OidcSigningKey): SigningKeyView {
  return { kid: k.kid, alg: k.alg, publicJwk: k.publicJwk, createdAt: k.createdAt, retiresAt: k.retiresAt, signing: k.retiresAt === null };
}
