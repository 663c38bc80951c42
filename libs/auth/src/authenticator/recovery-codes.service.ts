import { Injectable } from '@nestjs/common';
import { AuditService, Clock, CryptoService, RequestContext, TransactionService } from '@portico/core';
import type { TenantRef } from '@portico/tenants';
import { randomInt } from 'node:crypto';
import { AuthRepository } from '../auth.repository';

export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32: no I, L, O or U to misread; 10 characters are 50 random bits.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 10;

/** A typed code as stored: lower case, no spaces or dashes, the letters people confuse with digits read as digits. */
export function normalizeRecoveryCode(typed: string): string {
  return typed.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
}

function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/**
 * Single-use recovery codes for the authenticator step (a lost phone). Random and long enough that
 * a keyed hash suffices (no argon2); checked against every unused code in constant time.
 */
@Injectable()
export class RecoveryCodesService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: AuthRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** New codes replacing any earlier ones; the only time they exist in clear. Joins the caller's transaction. */
  async generate(ctx: RequestContext, userId: string, tenant: TenantRef | null = null): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
    await this.tx.run(async () => {
      await this.repository.replaceRecoveryCodes(
        userId,
        codes.map((c) => this.digest(userId, normalizeRecoveryCode(c))),
      );
      await this.audit.record(ctx, { action: 'user.recovery_codes.generated', targetType: 'user', targetId: userId, tenant });
    });
    return codes;
  }

  /** Uses up one code: true for the one request that did (a code never works twice). */
  async use(userId: string, typed: string): Promise<boolean> {
    const code = normalizeRecoveryCode(typed);
    if (code.length !== CODE_LENGTH) return false;
    const wanted = this.digest(userId, code);
    // Every unused code is compared, match or not, so the time says nothing about which one matched.
    let match: string | null = null;
    for (const row of await this.repository.unusedRecoveryCodes(userId)) if (this.crypto.sameDigest(row.codeHash, wanted)) match = row.id;
    if (!match) return false;
    return this.tx.run(() => this.repository.useRecoveryCode(match, this.clock.now()));
  }

  async remaining(userId: string): Promise<number> {
    return (await this.repository.unusedRecoveryCodes(userId)).length;
  }

  async remove(userId: string): Promise<void> {
    await this.tx.run(() => this.repository.deleteRecoveryCodes(userId));
  }

  private digest(userId: string, code: string): string {
    return this.crypto.keyedDigest(`recovery-code:${userId}`, code);
  }
}
