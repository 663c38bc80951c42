import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * A key the provider signs ID tokens (and JWT access tokens) with. The newest of each algorithm
 * signs; older ones stay in the JWKS until retiresAt, when every token they signed has expired.
 */
@Entity('oidc_signing_keys')
@Index(['alg', 'generation'], { unique: true })
export class OidcSigningKey extends BaseEntity {
  @Column({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  alg: SigningAlg;

  /** 1 for the keys made at first start, then one more per rotation: instances racing to make one collide here. */
  @Column({ type: 'integer' })
  generation: number;

  @Column({ type: 'simple-json' })
  publicJwk: Record<string, unknown>;

  /** The private JWK, encrypted with PORTICO_SECRET_KEY. */
  @Column({ type: 'text' })
  privateJwkSealed: string;

  /** When a newer key replaced it: from then on it only verifies, until this time. */
  @Column({ type: Date, nullable: true })
  retiresAt: Date | null = null;
}
