import { Injectable } from '@nestjs/common';
import { insertRows, pruneRows, TransactionService } from '@portico/core';
import { IsNull, LessThan } from 'typeorm';
import { AccountToken, TokenPurpose } from './entities/account-token.entity';

/** The queries of account tokens. */
@Injectable()
export class AccountTokensRepository {
  constructor(private readonly tx: TransactionService) {}

  async insert(token: AccountToken): Promise<void> {
    await insertRows(this.tx.manager, AccountToken, token);
  }

  byHash(tokenHash: string): Promise<AccountToken | null> {
    return this.tx.manager.findOneBy(AccountToken, { tokenHash });
  }

  /** Marks the token used if it still is unused and unexpired: true when this call took it. */
  async markUsed(id: string, now: Date): Promise<boolean> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(AccountToken)
      .set({ usedAt: now })
      .where('id = :id AND used_at IS NULL AND expires_at > :now', { id, now })
      .execute();
    return result.affected === 1;
  }

  async deleteUnused(purpose: TokenPurpose, userId: string): Promise<void> {
    await this.tx.manager.delete(AccountToken, { purpose, userId, usedAt: IsNull() });
  }

  pruneExpired(before: Date): Promise<number> {
    return pruneRows(this.tx, AccountToken, { expiresAt: LessThan(before) });
  }
}
