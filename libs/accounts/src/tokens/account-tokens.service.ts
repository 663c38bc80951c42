import { Injectable } from '@nestjs/common';
import { Clock, CryptoService } from '@portico/core';
import { AccountToken, TokenPurpose } from './entities/account-token.entity';
import { AccountTokensRepository } from './account-tokens.repository';

export type { TokenPurpose } from './entities/account-token.entity';

/** How long a link of each purpose works. */
export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  'email-verification': 24 * 3_600_000,
  'password-reset': 30 * 60_000,
  'email-change': 24 * 3_600_000,
  invitation: 7 * 86_400_000,
};

export interface IssueTokenRequest {
  purpose: TokenPurpose;
  userId: string | null;
  tenantId: string | null;
  email: string;
  data?: Record<string, unknown>;
  ttlMs?: number;
}

export interface AccountTokenView {
  id: string;
  userId: string | null;
  tenantId: string | null;
  email: string;
  data: Record<string, unknown> | null;
  expiresAt: Date;
}

/** Why a link does not work: never seen, past its time, already followed, or another tenant's. */
export type TokenFailure = 'unknown' | 'expired' | 'used' | 'foreign';

export type TokenCheck = { ok: true; token: AccountTokenView } | { ok: false; reason: TokenFailure };

/** Raw tokens are 32 random bytes in base64url: anything else is not one of ours. */
const RAW_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The links Portico mails (verification, reset, email change, invitation): random, stored as
 * SHA-256, expiring, single use, bound to the tenant whose pages issued them.
 */
@Injectable()
export class AccountTokensService {
  constructor(
    private readonly repo: AccountTokensRepository,
    private readonly crypto: CryptoService,
    private readonly clock: Clock,
  ) {}

  /** A new token, written in the ambient transaction; returns the raw token (for the link, never stored). */
  async issue(req: IssueTokenRequest): Promise<string> {
    const raw = this.crypto.randomToken(32);
    const token = new AccountToken();
    Object.assign(token, {
      purpose: req.purpose,
      tokenHash: this.crypto.hashToken(raw),
      userId: req.userId,
      tenantId: req.tenantId,
      email: req.email,
      data: req.data ? JSON.stringify(req.data) : null,
      expiresAt: new Date(this.clock.nowMs() + (req.ttlMs ?? TOKEN_TTL_MS[req.purpose])),
    });
    await this.repo.insert(token);
    return raw;
  }

  /** Whether the link works on the pages of `tenantId` (null: the global pages), without using it. */
  async peek(purpose: TokenPurpose, raw: string, tenantId: string | null): Promise<TokenCheck> {
    const found = await this.find(purpose, raw);
    if (!found) return { ok: false, reason: 'unknown' };
    return this.check(found, tenantId);
  }

  /** Uses the link: exactly one caller gets ok, however many follow it at once. */
  async consume(purpose: TokenPurpose, raw: string, tenantId: string | null): Promise<TokenCheck> {
    const found = await this.find(purpose, raw);
    if (!found) return { ok: false, reason: 'unknown' };
    const checked = this.check(found, tenantId);
    if (!checked.ok) return checked;
    const now = this.clock.now();
    if (await this.repo.markUsed(found.id, now)) return checked;
    // Someone else used it in between, or it expired just now.
    return { ok: false, reason: found.expiresAt <= now ? 'expired' : 'used' };
  }

  /** Every unused link of this purpose for this user stops working (a newer one replaces them, or the account changed). */
  async revokeAll(purpose: TokenPurpose, userId: string): Promise<void> {
    await this.repo.deleteUnused(purpose, userId);
  }

  /** Deletes tokens that expired before `before`. */
  sweep(before: Date): Promise<number> {
    return this.repo.pruneExpired(before);
  }

  private async find(purpose: TokenPurpose, raw: string): Promise<AccountToken | null> {
    if (typeof raw !== 'string' || !RAW_TOKEN.test(raw)) return null;
    const found = await this.repo.byHash(this.crypto.hashToken(raw));
    return found && found.purpose === purpose ? found : null;
  }

  private check(t: AccountToken, tenantId: string | null): TokenCheck {
    // Another tenant's link says nothing about itself on these pages.
    if ((t.tenantId ?? null) !== (tenantId ?? null)) return { ok: false, reason: 'foreign' };
    if (t.usedAt) return { ok: false, reason: 'used' };
    if (t.expiresAt.getTime() <= this.clock.nowMs()) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      token: {
        id: t.id,
        userId: t.userId,
        tenantId: t.tenantId,
        email: t.email,
        data: t.data ? (JSON.parse(t.data) as Record<string, unknown>) : null,
        expiresAt: t.expiresAt,
      },
    };
  }
}
