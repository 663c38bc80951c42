import { Injectable } from '@nestjs/common';
import { CryptoService, TransactionService } from '@portico/core';
import { IsNull } from 'typeorm';
import { AdminApiToken } from './entities/admin-api-token.entity';

@Injectable()
export class ApiTokensService {
  constructor(
    private readonly tx: TransactionService,
    private readonly crypto: CryptoService,
  ) {}

  /** The token's record when it is valid. Looked up by hash, so the lookup reveals nothing by timing. */
  async verify(token: string): Promise<AdminApiToken | null> {
    if (!token) return null;
    return this.tx.manager.findOneBy(AdminApiToken, { tokenHash: this.crypto.hashToken(token), revokedAt: IsNull() });
  }

  /** Registers a token given in the environment (idempotent across restarts). */
  async ensure(name: string, token: string): Promise<void> {
    const tokenHash = this.crypto.hashToken(token);
    await this.tx.run(async (m) => {
      if (await m.findOneBy(AdminApiToken, { tokenHash })) return;
      await m.save(m.create(AdminApiToken, { name, tokenHash }));
    });
  }
}
