import { Injectable } from '@nestjs/common';
import { CryptoService, TransactionService } from '@portico/core';
import { IsNull, Not } from 'typeorm';
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

  /**
   * Registers a token given in the environment (idempotent across restarts). A different value
   * under the same name replaces the old one: rotating ADMIN_API_TOKEN revokes the previous token.
   * A restart with the same token only reads: instances starting beside a busy one (SQLite has one
   * writer at a time) take no write lock for nothing.
   */
  async ensure(name: string, token: string): Promise<void> {
    const tokenHash = this.crypto.hashToken(token);
    const active = await this.tx.manager.findBy(AdminApiToken, { name, revokedAt: IsNull() });
    if (active.length === 1 && active[0].tokenHash === tokenHash) return;
    await this.tx.run(async (m) => {
      await m.update(AdminApiToken, { name, revokedAt: IsNull(), tokenHash: Not(tokenHash) }, { revokedAt: new Date() });
      const existing = await m.findOneBy(AdminApiToken, { tokenHash });
      if (!existing) await m.insert(AdminApiToken, m.create(AdminApiToken, { name, tokenHash }));
      else if (existing.revokedAt) await m.update(AdminApiToken, { id: existing.id }, { revokedAt: null });
    });
  }
}
