import { Injectable } from '@nestjs/common';
import { pruneRows, TransactionService } from '@portico/core';
import { randomUUID } from 'node:crypto';
import { FindOptionsWhere, LessThan } from 'typeorm';
import { OidcPayload } from '../entities/oidc-payload.entity';

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
  grantId: string | null;
}

/** The provider library's artefacts in Portico's database: the only code that reads or writes oidc_payloads. */
@Injectable()
export class OidcPayloadRepository {
  constructor(private readonly tx: TransactionService) {}

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresAt: Date | null): Promise<void> {
    const row = {
      model,
      oidcId: id,
      payload: JSON.stringify(payload),
      grantId: str(payload.grantId),
      userCode: str(payload.userCode),
      uid: str(payload.uid),
      expiresAt,
    };
    await this.tx.manager
      .createQueryBuilder()
      .insert()
      .into(OidcPayload)
      .values({ ...row, id: randomUUID() })
      .orUpdate(['payload', 'grant_id', 'user_code', 'uid', 'expires_at'], ['model', 'oidc_id'])
      .execute();
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
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(OidcPayload)
      .set({ consumedAt: now })
      .where('model = :model AND oidc_id = :id AND consumed_at IS NULL', { model, id })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.tx.manager.delete(OidcPayload, { model, oidcId: id });
  }

  /** Every code and token of a grant (and the grant itself) goes at once. */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.tx.manager.delete(OidcPayload, { grantId });
    await this.tx.manager.delete(OidcPayload, { model: 'Grant', oidcId: grantId });
  }

  /** Deletes what expired before `now`, a batch at a time. */
  sweep(now = new Date()): Promise<number> {
    return pruneRows(this.tx, OidcPayload, { expiresAt: LessThan(now) });
  }

  private async findBy(model: string, where: Partial<Pick<OidcPayload, 'oidcId' | 'uid' | 'userCode'>>): Promise<StoredPayload | null> {
    const row = await this.tx.manager.findOne(OidcPayload, {
      select: { payload: true, consumedAt: true, grantId: true, id: true },
      where: { model, ...where } as FindOptionsWhere<OidcPayload>,
    });
    if (!row) return null;
    return { payload: JSON.parse(row.payload) as Record<string, unknown>, consumedAt: row.consumedAt, grantId: row.grantId };
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value ? value.slice(0, 255) : null;
}
