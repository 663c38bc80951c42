import { Injectable, Logger } from '@nestjs/common';
import {
  AuditService,
  Clock,
  CryptoService,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RequestContext,
  TransactionService,
} from '@portico/core';
import { AuthRepository } from './auth.repository';
import { AdminApiTokenView } from './dto/admin-api-token.dto';
import { AdminApiToken } from './entities/admin-api-token.entity';

/** The name ADMIN_API_TOKEN is registered under; `ensure` replaces whatever token holds it at start. */
export const ENVIRONMENT_TOKEN_NAME = 'ADMIN_API_TOKEN';

// Last use is shown to the minute: one write per token and minute at most, never one per request.
const LAST_USED_PRECISION_MS = 60_000;

@Injectable()
export class ApiTokensService {
  private readonly logger = new Logger('ApiTokens');

  constructor(
    private readonly tx: TransactionService,
    private readonly repository: AuthRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** The token's record when it is valid. Looked up by hash, so the lookup reveals nothing by timing. */
  async verify(token: string): Promise<AdminApiToken | null> {
    if (!token) return null;
    const row = await this.repository.activeToken(this.crypto.hashToken(token));
    if (row) await this.noteUse(row);
    return row;
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

  async list(ctx: RequestContext): Promise<AdminApiTokenView[]> {
    assertAdmin(ctx);
    return (await this.repository.listActiveTokens()).map(toView);
  }

  async find(ctx: RequestContext, id: string): Promise<AdminApiTokenView> {
    assertAdmin(ctx);
    const row = await this.repository.activeTokenById(id);
    if (!row) throw new NotFoundError('API token');
    return toView(row);
  }

  /** A new token; its secret is returned here once and only its hash is kept. */
  async create(ctx: RequestContext, name: string): Promise<{ token: AdminApiTokenView; secret: string }> {
    assertAdmin(ctx);
    if (name.toUpperCase() === ENVIRONMENT_TOKEN_NAME)
      throw new InvalidInputError(`name: ${ENVIRONMENT_TOKEN_NAME} is kept for the token set in the environment; choose another name`);
    const secret = `portico_${this.crypto.randomToken(32)}`;
    const row = await this.tx.run(async () => {
      const created = await this.repository.insertToken(name, this.crypto.hashToken(secret));
      await this.audit.record(ctx, {
        action: 'admin_api_token.created',
        targetType: 'admin_api_token',
        targetId: created.id,
        details: { name },
      });
      return created;
    });
    return { token: toView(row), secret };
  }

  /** Revoked at once: the next request with it gets 401. */
  async revoke(ctx: RequestContext, id: string): Promise<AdminApiTokenView> {
    assertAdmin(ctx);
    return this.tx.run(async () => {
      const row = await this.repository.activeTokenById(id);
      if (!row) throw new NotFoundError('API token');
      await this.repository.revokeToken(id, this.clock.now());
      await this.audit.record(ctx, {
        action: 'admin_api_token.revoked',
        targetType: 'admin_api_token',
        targetId: id,
        details: { name: row.name },
      });
      return toView(row);
    });
  }

  private async noteUse(row: AdminApiToken): Promise<void> {
    const now = this.clock.now();
    if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() < LAST_USED_PRECISION_MS) return;
    try {
      await this.repository.touchToken(row.id, now);
    } catch (err) {
      // Bookkeeping only: the caller's request goes on.
      this.logger.warn(`Could not record the use of API token ${row.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function assertAdmin(ctx: RequestContext): void {
  if (!ctx.isPlatformAdmin) throw new ForbiddenError('Only platform administrators manage admin API tokens');
}

function toView(row: AdminApiToken): AdminApiTokenView {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    fromEnvironment: row.name === ENVIRONMENT_TOKEN_NAME,
  };
}
