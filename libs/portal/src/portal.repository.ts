import { Injectable } from '@nestjs/common';
import { TransactionService } from '@portico/core';
import { DeepPartial, LessThan } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AutologinJwtId } from './autologin/entities/autologin-jwt-id.entity';
import { AutologinSecret } from './autologin/entities/autologin-secret.entity';
import { AutologinSession } from './autologin/entities/autologin-session.entity';
import { InboundReceipt } from './notifications/entities/inbound-receipt.entity';

/**
 * Every query of the portal module: autologin secrets, links and JWT ids, and the receipts of
 * inbound deliveries. Writes join the caller's transaction (`tx.run` around the call).
 */
@Injectable()
export class PortalRepository {
  constructor(private readonly tx: TransactionService) {}

  // --- autologin secrets

  secretOf(tenantId: string): Promise<AutologinSecret | null> {
    return this.tx.manager.findOneBy(AutologinSecret, { tenantId });
  }

  secretByHash(secretHash: string): Promise<AutologinSecret | null> {
    return this.tx.manager.findOneBy(AutologinSecret, { secretHash });
  }

  newSecret(tenantId: string): AutologinSecret {
    return this.tx.manager.create(AutologinSecret, { tenantId });
  }

  async saveSecret(row: AutologinSecret): Promise<void> {
    await this.tx.manager.save(row);
  }

  // --- autologin links and JWT ids

  async insertSession(fields: DeepPartial<AutologinSession>): Promise<void> {
    const m = this.tx.manager;
    await m.insert(AutologinSession, m.create(AutologinSession, fields) as QueryDeepPartialEntity<AutologinSession>);
  }

  /** One conditional update: of two callers redeeming the same link at once, exactly one gets true. */
  async redeemSession(sessionHash: string, now: Date): Promise<boolean> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(AutologinSession)
      .set({ redeemedAt: now })
      .where('session_hash = :sessionHash AND redeemed_at IS NULL AND expires_at > :now', { sessionHash, now })
      .execute();
    return !!result.affected;
  }

  sessionByHash(sessionHash: string): Promise<AutologinSession | null> {
    return this.tx.manager.findOneBy(AutologinSession, { sessionHash });
  }

  /** Records a JWT id; a second use fails on the unique constraint. */
  async insertJwtId(tenantId: string, jti: string, expiresAt: Date): Promise<void> {
    const m = this.tx.manager;
    await m.insert(AutologinJwtId, m.create(AutologinJwtId, { tenantId, jti, expiresAt }) as QueryDeepPartialEntity<AutologinJwtId>);
  }

  async deleteExpiredAutologin(sessionsBefore: Date, jwtIdsBefore: Date): Promise<void> {
    await this.tx.manager.delete(AutologinSession, { expiresAt: LessThan(sessionsBefore) });
    await this.tx.manager.delete(AutologinJwtId, { expiresAt: LessThan(jwtIdsBefore) });
  }

  // --- inbound receipts

  /** Inserts a receipt and returns its id; a second one for the same key fails on the unique constraint. */
  async insertReceipt(tenantId: string, route: string, receiptKey: string, expiresAt: Date): Promise<string> {
    const m = this.tx.manager;
    const row = m.create(InboundReceipt, { tenantId, route, receiptKey, expiresAt });
    await m.insert(InboundReceipt, row as QueryDeepPartialEntity<InboundReceipt>);
    return row.id;
  }

  receiptOf(tenantId: string, route: string, receiptKey: string): Promise<InboundReceipt | null> {
    return this.tx.manager.findOneBy(InboundReceipt, { tenantId, route, receiptKey });
  }

  async setReceiptResults(id: string, results: Record<string, unknown>): Promise<void> {
    await this.tx.manager.update(InboundReceipt, { id }, { results } as QueryDeepPartialEntity<InboundReceipt>);
  }

  async deleteReceipt(id: string): Promise<void> {
    await this.tx.manager.delete(InboundReceipt, { id });
  }

  async deleteExpiredReceipts(now: Date): Promise<void> {
    await this.tx.manager.delete(InboundReceipt, { expiresAt: LessThan(now) });
  }
}
