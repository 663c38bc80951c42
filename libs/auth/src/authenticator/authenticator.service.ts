import { Injectable } from '@nestjs/common';
import { AuditService, CryptoService, NotFoundError, RequestContext, TransactionService } from '@portico/core';
import { TenantRef, TenantsService } from '@portico/tenants';
import { UserCredentialsService, UsersService } from '@portico/users';
import { toDataURL } from 'qrcode';
import { AuthRepository } from '../auth.repository';
import { newTotpSecret, totpUri, verifyTotp } from '../totp/totp';
import { RecoveryCodesService } from './recovery-codes.service';

export interface Enrollment {
  secret: string;
  uri: string;
  qrDataUrl: string;
}

/** The authenticator app (TOTP) of a user: enrollment, verification without replay, removal. */
@Injectable()
export class AuthenticatorService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: AuthRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly credentials: UserCredentialsService,
    private readonly users: UsersService,
    private readonly tenants: TenantsService,
    private readonly recoveryCodes: RecoveryCodesService,
  ) {}

  /** A fresh seed to show as QR code and text; nothing is stored until a code confirms it. */
  async startEnrollment(accountName: string, secret = newTotpSecret()): Promise<Enrollment> {
    const uri = totpUri(secret, accountName, 'Portico');
    return { secret, uri, qrDataUrl: await toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 220 }) };
  }

  /**
   * Confirms an enrollment with a current code; the seed is stored encrypted. Returns the new
   * recovery codes (to show once), or null when the code does not match.
   */
  async confirmEnrollment(ctx: RequestContext, userId: string, secret: string, code: string): Promise<string[] | null> {
    const match = verifyTotp(secret, code, null);
    if (!match) return null;
    return this.tx.run(async () => {
      await this.repository.replaceAuthenticator(userId, this.crypto.encrypt(secret), match.step);
      await this.credentials.setAuthenticatorEnabled(userId, true);
      await this.audit.record(ctx, { action: 'user.authenticator.enabled', targetType: 'user', targetId: userId });
      return this.recoveryCodes.generate(ctx, userId);
    });
  }

  /**
   * Checks a code for a user. The accepted step is written with a conditional update, so two
   * requests racing with the same code cannot both succeed.
   */
  async verify(userId: string, code: string): Promise<boolean> {
    const row = await this.repository.authenticatorOf(userId);
    if (!row) return false;
    const match = verifyTotp(this.crypto.decrypt(row.secretEncrypted), code, row.lastStep);
    if (!match) return false;
    return this.tx.run(() => this.repository.advanceAuthenticatorStep(userId, match.step));
  }

  async hasAuthenticator(userId: string): Promise<boolean> {
    return this.repository.hasAuthenticator(userId);
  }

  /** Self-service removal (the caller has checked a current code) or an admin reset. */
  async remove(
    ctx: RequestContext,
    userId: string,
    action: 'user.authenticator.disabled' | 'user.authenticator.reset',
    tenant: TenantRef | null = null,
  ): Promise<void> {
    await this.tx.run(async () => {
      await this.repository.deleteAuthenticator(userId);
      await this.repository.deleteRecoveryCodes(userId);
      await this.credentials.setAuthenticatorEnabled(userId, false);
      await this.audit.record(ctx, { action, targetType: 'user', targetId: userId, tenant });
    });
  }

  /** DELETE /api/v1/users/{id}/authenticator: only for a user the caller may see. */
  async adminReset(ctx: RequestContext, userId: string): Promise<void> {
    const user = await this.users.find(ctx, userId);
    if (!user) throw new NotFoundError('User');
    const tenant = user.tenantId ? await this.tenants.findById(user.tenantId) : null;
    await this.remove(ctx, userId, 'user.authenticator.reset', tenant);
  }
}
