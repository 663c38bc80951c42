import { BaseEntity } from '@portico/core';
import { Column, Entity, ForeignKey, Index } from 'typeorm';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
export const CLIENT_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type ClientGrantType = (typeof CLIENT_GRANT_TYPES)[number];
export const CLIENT_SCOPES = ['openid', 'profile', 'email', 'organizations', 'offline_access'] as const;

/** An application that signs people in through Portico (an OpenID Connect relying party). */
@Entity('oidc_clients')
@Index(['clientId'], { unique: true })
@Index(['tenantId'])
export class OidcClient extends BaseEntity {
  /** Public identifier the application sends. */
  @Column({ type: 'varchar', length: 64 })
  clientId: string;

  /** null: vendor-wide, anyone may sign in; otherwise only this tenant's users. */
  @ForeignKey('tenants', { onDelete: 'CASCADE' })
  @Column({ type: 'uuid', nullable: true })
  tenantId: string | null;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'simple-json' })
  redirectUris: string[];

  @Column({ type: 'simple-json' })
  postLogoutRedirectUris: string[];

  @Column({ type: 'simple-json' })
  grantTypes: ClientGrantType[];

  @Column({ type: 'varchar', length: 32 })
  tokenEndpointAuthMethod: ClientAuthMethod;

  /** Skips the consent page; set by a platform admin only. */
  @Column({ type: Boolean })
  firstParty: boolean = false;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  backchannelLogoutUri: string | null = null;

  @Column({ type: 'simple-json' })
  scopes: string[];

  @Column({ type: 'integer' })
  accessTokenTtlSeconds: number;

  @Column({ type: 'integer' })
  refreshTokenTtlSeconds: number;

  @Column({ type: Boolean })
  allowPrivateNetwork: boolean = false;

  /** SHA-256 of the secret (high-entropy, so no stretching); null for public clients. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  secretHash: string | null = null;
}
