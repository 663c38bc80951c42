import { BaseEntity } from '@portico/core';
import { Column, Entity, Index } from 'typeorm';

/**
 * One stored artefact of the provider library (session, interaction, grant, code, token…), as the
 * library hands it over: its own id and JSON payload, with the lookups it asks for as columns.
 */
@Entity('oidc_payloads')
@Index(['model', 'oidcId'], { unique: true })
// Partial where most rows have no value (migration 1764001600000): fewer index writes per token.
@Index(['grantId'], { where: 'grant_id IS NOT NULL' })
@Index(['uid'], { where: 'uid IS NOT NULL' })
@Index(['expiresAt'])
@Index(['accountId', 'clientId'], { where: 'account_id IS NOT NULL' })
@Index(['clientId'])
export class OidcPayload extends BaseEntity {
  /** The library's model name: Session, AuthorizationCode, RefreshToken… */
  @Column({ type: 'varchar', length: 64 })
  model: string;

  @Column({ type: 'varchar', length: 255 })
  oidcId: string;

  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  grantId: string | null = null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  userCode: string | null = null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  uid: string | null = null;

  /** Whose artefact it is (sessions, grants, tokens): what signing a user out everywhere deletes. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  accountId: string | null = null;

  /** The client it was made for: what deleting a client, or revoking its consent, deletes. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  clientId: string | null = null;

  @Column({ type: Date, nullable: true })
  expiresAt: Date | null = null;

  /** Set once, by a conditional update: a code or refresh token is redeemed by one request only. */
  @Column({ type: Date, nullable: true })
  consumedAt: Date | null = null;
}
