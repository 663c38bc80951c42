import { Injectable } from '@nestjs/common';
import { CryptoService, TransactionService } from '@portico/core';
import { AuthRepository } from './auth.repository';
import { AdminApiToken } from './entities/admin-api-token.entity';

@Injectable()
export class ApiTokensService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: AuthRepository,
    private readonly crypto: CryptoService,
  ) {}

  /** The token's record when it is valid. Looked up by hash, so the lookup reveals nothing by timing. */
  async verify(token: string): Promise<AdminApiToken | null> {
    if (!token) return null;
    return this.repository.activeToken(this.crypto.hashToken(token));
  }

  /**
   * Registers a token given in the environment (idempotent across restarts). A different value
   * under the same name replaces the old one: rotating ADMIN_API_TOKEN revokes the previous token.
   * A restart with the same token only reads: instances starting beside a busy one (SQLite has one
   * writer at a time) take no write lock for nothing.
   */
  async ensure(name: string, token: string): Promise<void> {
    const tokenHash = this.crypto.hashToken(token);
    const active = await this.repository.activeTokensNamed(name);
    if (active.length === 1 && active[0].tokenHash === tokenHash) return;
    await this.tx.run(() => this.repository.replaceToken(name, tokenHash));
  }
}
