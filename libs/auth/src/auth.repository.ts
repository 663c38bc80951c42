import { Injectable } from '@nestjs/common';
import { findOneFast, findRows, insertRows, pruneRows, TransactionService, updateRows } from '@portico/core';
import { IsNull, LessThan, Not } from 'typeorm';
import { AdminApiToken } from './entities/admin-api-token.entity';
import { AuthSettings } from './entities/auth-settings.entity';
import { LoginThrottle } from './entities/login-throttle.entity';
import { TenantAuthSettings } from './entities/tenant-auth-settings.entity';
import { UserAuthenticator } from './entities/user-authenticator.entity';
import { UserRecoveryCode } from './entities/user-recovery-code.entity';

/**
 * Every query of the auth module (API tokens, settings, the throttle, authenticator apps). Writes
 * join the caller's transaction when there is one (`tx.run` around the call).
 */
@Injectable()
export class AuthRepository {
  constructor(private readonly tx: TransactionService) {}

  // --- admin API tokens

  activeToken(tokenHash: string): Promise<AdminApiToken | null> {
    return this.tx.manager.findOneBy(AdminApiToken, { tokenHash, revokedAt: IsNull() });
  }

  activeTokensNamed(name: string): Promise<AdminApiToken[]> {
    return this.tx.manager.findBy(AdminApiToken, { name, revokedAt: IsNull() });
  }

  /** Revokes the other tokens of `name` and makes `tokenHash` its active one. */
  async replaceToken(name: string, tokenHash: string): Promise<void> {
    const m = this.tx.manager;
    await m.update(AdminApiToken, { name, revokedAt: IsNull(), tokenHash: Not(tokenHash) }, { revokedAt: new Date() });
    const existing = await m.findOneBy(AdminApiToken, { tokenHash });
    if (!existing) await m.insert(AdminApiToken, m.create(AdminApiToken, { name, tokenHash }));
    else if (existing.revokedAt) await m.update(AdminApiToken, { id: existing.id }, { revokedAt: null });
  }

  /** The active tokens, newest first. */
  listActiveTokens(): Promise<AdminApiToken[]> {
    return findRows(this.tx.manager, AdminApiToken, { revokedAt: null }, { orderBy: { createdAt: 'DESC' }, limit: 500 });
  }

  activeTokenById(id: string): Promise<AdminApiToken | null> {
    return findOneFast(this.tx.manager, AdminApiToken, { id, revokedAt: null });
  }

  async insertToken(name: string, tokenHash: string): Promise<AdminApiToken> {
    const m = this.tx.manager;
    return m.save(m.create(AdminApiToken, { name, tokenHash }));
  }

  async revokeToken(id: string, at: Date): Promise<void> {
    await updateRows(this.tx.manager, AdminApiToken, { id, revokedAt: null }, { revokedAt: at });
  }

  async touchToken(id: string, at: Date): Promise<void> {
    await updateRows(this.tx.manager, AdminApiToken, { id }, { lastUsedAt: at });
  }

  // --- settings

  /** The global settings row, or an unsaved one holding the defaults. */
  async globalSettings(): Promise<AuthSettings> {
    const m = this.tx.manager;
    const rows = await findRows(m, AuthSettings, {}, { orderBy: { createdAt: 'ASC' }, limit: 1 });
    return rows[0] ?? m.create(AuthSettings, {});
  }

  async saveGlobalSettings(row: AuthSettings): Promise<void> {
    await this.tx.manager.save(row);
  }

  tenantSettings(tenantId: string): Promise<TenantAuthSettings | null> {
    return this.tx.manager.findOneBy(TenantAuthSettings, { tenantId });
  }

  /** The same read on every sign-in's path, as one prepared statement. */
  tenantSettingsFast(tenantId: string): Promise<TenantAuthSettings | null> {
    return findOneFast(this.tx.manager, TenantAuthSettings, { tenantId });
  }

  newTenantSettings(tenantId: string): TenantAuthSettings {
    return this.tx.manager.create(TenantAuthSettings, { tenantId });
  }

  async saveTenantSettings(row: TenantAuthSettings): Promise<void> {
    await this.tx.manager.save(row);
  }

  // --- login throttle

  /** Deletes the rows untouched since `quietSince` and not locked at `now`; how many went. */
  pruneThrottle(quietSince: Date, now: Date): Promise<number> {
    const quiet = LessThan(quietSince);
    return pruneRows(this.tx, LoginThrottle, [
      { updatedAt: quiet, lockedUntil: IsNull() },
      { updatedAt: quiet, lockedUntil: LessThan(now) },
    ]);
  }

  /**
   * The rows of several keys in two statements (created when missing, locked on PostgreSQL until
   * the caller's transaction ends).
   */
  async lockThrottleRows(keys: string[]): Promise<Map<string, LoginThrottle>> {
    const m = this.tx.manager;
    await insertRows(
      m,
      LoginThrottle,
      keys.map((key) => m.create(LoginThrottle, { key })),
      { orIgnore: true },
    );
    const rows = await findRows(m, LoginThrottle, { key: keys }, { orderBy: { key: 'ASC' }, forUpdate: true });
    return new Map(rows.map((r) => [r.key, r]));
  }

  // update, not save: save would SELECT the row again before writing it.
  async storeThrottle(row: LoginThrottle): Promise<void> {
    await updateRows(
      this.tx.manager,
      LoginThrottle,
      { id: row.id },
      { failures: row.failures, lockouts: row.lockouts, lockedUntil: row.lockedUntil },
    );
  }

  async resetThrottle(key: string): Promise<void> {
    await updateRows(this.tx.manager, LoginThrottle, { key }, { failures: 0, lockouts: 0, lockedUntil: null });
  }

  // One atomic statement: the row exists (reserve made it) and only its counter moves.
  async giveBackThrottle(key: string): Promise<void> {
    await updateRows(this.tx.manager, LoginThrottle, { key }, { failures: () => 'CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END' });
  }

  // --- authenticator apps

  authenticatorOf(userId: string): Promise<UserAuthenticator | null> {
    return this.tx.manager.findOneBy(UserAuthenticator, { userId });
  }

  async hasAuthenticator(userId: string): Promise<boolean> {
    return (await this.tx.manager.countBy(UserAuthenticator, { userId })) > 0;
  }

  async replaceAuthenticator(userId: string, secretEncrypted: string, lastStep: number): Promise<void> {
    const m = this.tx.manager;
    await m.delete(UserAuthenticator, { userId });
    await m.save(m.create(UserAuthenticator, { userId, secretEncrypted, lastStep }));
  }

  async deleteAuthenticator(userId: string): Promise<void> {
    await this.tx.manager.delete(UserAuthenticator, { userId });
  }

  // --- recovery codes

  /** Replaces the user's recovery codes with these (keyed hashes). */
  async replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void> {
    const m = this.tx.manager;
    await m.delete(UserRecoveryCode, { userId });
    await insertRows(
      m,
      UserRecoveryCode,
      codeHashes.map((codeHash) => m.create(UserRecoveryCode, { userId, codeHash })),
    );
  }

  unusedRecoveryCodes(userId: string): Promise<UserRecoveryCode[]> {
    return findRows(this.tx.manager, UserRecoveryCode, { userId, usedAt: null });
  }

  /** Marks a code used with a conditional update: true for the one caller that did. */
  async useRecoveryCode(id: string, at: Date): Promise<boolean> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(UserRecoveryCode)
      .set({ usedAt: at })
      .where('id = :id AND used_at IS NULL', { id })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  async deleteRecoveryCodes(userId: string): Promise<void> {
    await this.tx.manager.delete(UserRecoveryCode, { userId });
  }

  /** Moves the accepted step forward with a conditional update: true for the one caller that did. */
  async advanceAuthenticatorStep(userId: string, step: number): Promise<boolean> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(UserAuthenticator)
      .set({ lastStep: step })
      .where('user_id = :userId AND (last_step IS NULL OR last_step < :step)', { userId, step })
      .execute();
    return (result.affected ?? 0) === 1;
  }
}
