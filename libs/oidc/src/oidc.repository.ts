import { Injectable } from '@nestjs/common';
import { findOneFast, insertRows, pruneRows, RequestContext, tenantWhere, TransactionService } from '@portico/core';
import { IsNull, LessThan, MoreThan } from 'typeorm';
import { OidcClient } from './entities/oidc-client.entity';
import { OidcPayload } from './entities/oidc-payload.entity';
import { OidcSigningKey, SigningAlg } from './entities/oidc-signing-key.entity';

export interface OwnedPayload {
  id: string;
  clientId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
  grantId: string | null;
}

/**
 * Every query of the OpenID Connect provider: its clients, its signing keys and the provider
 * library's artefacts (oidc_payloads).
 */
@Injectable()
export class OidcRepository {
  constructor(private readonly tx: TransactionService) {}

  // Clients

  /** A page of clients: `tenantId` narrows a platform admin's list to one tenant; a tenant caller sees only its own. */
  findClients(ctx: RequestContext, tenantId: string | undefined, take: number, skip: number): Promise<[OidcClient[], number]> {
    return this.tx.manager.findAndCount(OidcClient, {
      where: tenantId ? { tenantId } : tenantWhere(ctx),
      order: { createdAt: 'ASC', id: 'ASC' },
      take,
      skip,
    });
  }

  /** The client if the caller may see it. */
  findClient(ctx: RequestContext, clientId: string): Promise<OidcClient | null> {
    return this.tx.manager.findOneBy(OidcClient, { clientId, ...tenantWhere(ctx) });
  }

  /** Any client by its id, for the provider (every token request reads one). */
  findClientById(clientId: string): Promise<OidcClient | null> {
    return findOneFast(this.tx.manager, OidcClient, { clientId });
  }

  async clientIdsOfTenant(tenantId: string): Promise<string[]> {
    const rows = await this.tx.manager.find(OidcClient, { select: { clientId: true, id: true }, where: { tenantId } });
    return rows.map((r) => r.clientId);
  }

  async saveClient(client: OidcClient): Promise<void> {
    await this.tx.manager.save(client);
  }

  async deleteClient(id: string): Promise<void> {
    await this.tx.manager.delete(OidcClient, { id });
  }

  // Signing keys

  keyExists(alg: SigningAlg): Promise<boolean> {
    return this.tx.manager.existsBy(OidcSigningKey, { alg });
  }

  latestKey(alg: SigningAlg): Promise<OidcSigningKey | null> {
    return this.tx.manager.findOne(OidcSigningKey, { where: { alg }, order: { generation: 'DESC' } });
  }

  /** Keys not retired by `now`, newest generation first. */
  publishedKeys(now: Date): Promise<OidcSigningKey[]> {
    return this.tx.manager.find(OidcSigningKey, {
      where: [{ retiresAt: IsNull() }, { retiresAt: MoreThan(now) }],
      order: { generation: 'DESC' },
    });
  }

  newKey(fields: Pick<OidcSigningKey, 'kid' | 'alg' | 'generation' | 'publicJwk' | 'privateJwkSealed'>): OidcSigningKey {
    return this.tx.manager.create(OidcSigningKey, fields);
  }

  async saveKey(key: OidcSigningKey): Promise<void> {
    await this.tx.manager.save(key);
  }

  /** Sets when the signing key of `generation` retires, if it has not been told already. */
  async retireKey(alg: SigningAlg, generation: number, retiresAt: Date): Promise<void> {
    await this.tx.manager.update(OidcSigningKey, { alg, retiresAt: IsNull(), generation }, { retiresAt });
  }

  async deleteKeysRetiredBefore(now: Date): Promise<void> {
    await this.tx.manager.delete(OidcSigningKey, { retiresAt: LessThan(now) });
  }

  // The provider's artefacts

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresAt: Date | null): Promise<void> {
    const row = {
      model,
      oidcId: id,
      payload: JSON.stringify(payload),
      grantId: str(payload.grantId),
      userCode: str(payload.userCode),
      uid: str(payload.uid),
      accountId: str(payload.accountId),
      clientId: str(payload.clientId),
      expiresAt,
    };
    // Plain SQL, once per shape: every grant writes a token or two, and TypeORM's insert rebuilt its
    // statement and read the row back each time.
    const m = this.tx.manager;
    await insertRows(m, OidcPayload, m.create(OidcPayload, row), {
      upsert: { target: ['model', 'oidcId'], set: ['payload', 'grantId', 'userCode', 'uid', 'accountId', 'clientId', 'expiresAt'] },
    });
  }

  async find(model: string, id: string): Promise<StoredPayload | null> {
    return this.findBy(model, { oidcId: id });
  }

  async findByUid(model: string, uid: string): Promise<StoredPayload | null> {
    return this.findBy(model, { uid });
  }

  async findByUserCode(model: string, userCode: string): Promise<StoredPayload | null> {
    return this.findBy(model, { userCode });
  }

  /**
   * Marks the artefact consumed, if nobody has: true for the one caller whose update changed the
   * row. Two requests redeeming the same code on two instances race here and only one wins.
   */
  async consume(model: string, id: string, now = new Date()): Promise<boolean> {
    // Plain SQL, written once per driver: every refresh consumes a token, and the query builder
    // rebuilt this statement each time.
    const m = this.tx.manager;
    const driver = m.connection.driver;
    const metadata = m.connection.getMetadata(OidcPayload);
    const consumed = metadata.findColumnWithPropertyName('consumedAt')!;
    const updated = metadata.updateDateColumn;
    const sql = (consumeSql[driver.options.type] ??= [
      `UPDATE ${driver.escape(metadata.tableName)} SET ${driver.escape(consumed.databaseName)} = ${driver.createParameter('at', 0)}`,
      updated ? `, ${driver.escape(updated.databaseName)} = CURRENT_TIMESTAMP` : '',
      ` WHERE ${driver.escape('model')} = ${driver.createParameter('model', 1)} AND ${driver.escape('oidc_id')} = ${driver.createParameter('id', 2)}`,
      ` AND ${driver.escape(consumed.databaseName)} IS NULL`,
    ].join(''));
    // A structured result: the only way both drivers say how many rows the update changed.
    const runner = m.queryRunner ?? m.connection.createQueryRunner();
    try {
      const result = await runner.query(sql, [driver.preparePersistentValue(now, consumed), model, id], true);
      return (result.affected ?? 0) > 0;
    } finally {
      if (runner !== m.queryRunner) await runner.release();
    }
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.tx.manager.delete(OidcPayload, { model, oidcId: id });
  }

  /** Every code and token of a grant (and the grant itself) goes at once. */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.tx.manager.delete(OidcPayload, { grantId });
    await this.tx.manager.delete(OidcPayload, { model: 'Grant', oidcId: grantId });
  }

  /** The stored artefacts of one model that a user owns (their sessions, their grants), unexpired. */
  async ownedBy(model: string, accountId: string, clientId?: string, now = new Date()): Promise<OwnedPayload[]> {
    const qb = this.tx.manager
      .createQueryBuilder(OidcPayload, 'p')
      .select(['p.oidcId', 'p.clientId', 'p.payload', 'p.createdAt'])
      .where('p.model = :model AND p.account_id = :accountId', { model, accountId })
      .andWhere('(p.expires_at IS NULL OR p.expires_at > :now)', { now })
      .orderBy('p.created_at', 'DESC')
      .addOrderBy('p.oidc_id', 'ASC');
    if (clientId !== undefined) qb.andWhere('p.client_id = :clientId', { clientId });
    const rows = await qb.getMany();
    return rows.map((r) => ({
      id: r.oidcId,
      clientId: r.clientId,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
      createdAt: r.createdAt,
    }));
  }

  /** Users with a provider session or grant, a page at a time (for sweeps over everyone signed in). */
  async accountsPage(afterAccountId: string | null, limit: number): Promise<string[]> {
    const qb = this.tx.manager
      .createQueryBuilder(OidcPayload, 'p')
      .select('DISTINCT p.account_id', 'accountId')
      .where("p.model IN ('Session', 'Grant') AND p.account_id IS NOT NULL")
      .orderBy('p.account_id', 'ASC')
      .limit(limit);
    if (afterAccountId) qb.andWhere('p.account_id > :after', { after: afterAccountId });
    const rows: { accountId: string }[] = await qb.getRawMany();
    return rows.map((r) => r.accountId);
  }

  /** Everything a user owns (sessions, grants, codes, tokens), or only what they hold for one client. */
  async revokeAccount(accountId: string, clientId?: string): Promise<void> {
    await this.tx.manager.delete(OidcPayload, clientId === undefined ? { accountId } : { accountId, clientId });
  }

  /** Everything made for a client (its grants, codes and tokens, client credentials included). */
  async revokeClient(clientId: string): Promise<void> {
    await this.tx.manager.delete(OidcPayload, { clientId });
  }

  /** Deletes what expired before `now`, a batch at a time. */
  sweep(now = new Date()): Promise<number> {
    return pruneRows(this.tx, OidcPayload, { expiresAt: LessThan(now) });
  }

  private async findBy(model: string, where: Partial<Pick<OidcPayload, 'oidcId' | 'uid' | 'userCode'>>): Promise<StoredPayload | null> {
    const row = await findOneFast(this.tx.manager, OidcPayload, { model, ...where });
    if (!row) return null;
    return { payload: JSON.parse(row.payload) as Record<string, unknown>, consumedAt: row.consumedAt, grantId: row.grantId };
  }
}

const consumeSql: Record<string, string> = {};

function str(value: unknown): string | null {
  return typeof value === 'string' && value ? value.slice(0, 255) : null;
}
