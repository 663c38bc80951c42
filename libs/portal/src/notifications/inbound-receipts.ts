import { Injectable } from '@nestjs/common';
import { Clock, Every, isUniqueViolation, TransactionService } from '@portico/core';
import { PortalRepository } from '../portal.repository';

// A delivery takes seconds at most; a claim without results for this long was abandoned.
const ABANDONED_AFTER_MS = 5 * 60_000;

export type Claim =
  | { kind: 'new'; receiptId: string }
  | { kind: 'duplicate'; results: Record<string, unknown> }
  /** The same delivery is being applied by another request right now. */
  | { kind: 'in-progress' };

/**
 * Receipts of inbound deliveries, so each is applied once. The claim is a plain insert: the unique
 * key (tenant, route, receipt key) decides between concurrent copies of one delivery.
 */
@Injectable()
export class InboundReceipts {
  private readonly sweeping = new Every(60_000);

  constructor(
    private readonly tx: TransactionService,
    private readonly repository: PortalRepository,
    private readonly clock: Clock,
  ) {}

  async claim(tenantId: string, route: string, receiptKey: string, keepMs: number): Promise<Claim> {
    const now = this.clock.now();
    await this.sweep(now);
    for (let attempt = 0; attempt < 2; attempt++) {
      const expiresAt = new Date(now.getTime() + keepMs);
      try {
        const receiptId = await this.tx.run(() => this.repository.insertReceipt(tenantId, route, receiptKey, expiresAt));
        return { kind: 'new', receiptId };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      const existing = await this.repository.receiptOf(tenantId, route, receiptKey);
      if (!existing) continue; // it expired and was swept in between: claim again
      // Expired, or claimed by a request that never finished (its process stopped): it is free again.
      const abandoned = !existing.results && now.getTime() - existing.createdAt.getTime() > ABANDONED_AFTER_MS;
      if (existing.expiresAt.getTime() <= now.getTime() || abandoned) {
        await this.tx.run(() => this.repository.deleteReceipt(existing.id));
        continue;
      }
      return existing.results ? { kind: 'duplicate', results: existing.results } : { kind: 'in-progress' };
    }
    return { kind: 'in-progress' };
  }

  async complete(receiptId: string, results: Record<string, unknown>): Promise<void> {
    await this.tx.run(() => this.repository.setReceiptResults(receiptId, results));
  }

  /** Gives a claim back (the delivery failed as a whole), so the sender's retry is applied. */
  async release(receiptId: string): Promise<void> {
    await this.tx.run(() => this.repository.deleteReceipt(receiptId));
  }

  private async sweep(now: Date): Promise<void> {
    if (!this.sweeping.due(now.getTime())) return;
    await this.tx.run(() => this.repository.deleteExpiredReceipts(now));
  }
}
