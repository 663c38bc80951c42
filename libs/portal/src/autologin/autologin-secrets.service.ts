import { Injectable } from '@nestjs/common';
import { AuditService, CryptoService, NotFoundError, RequestContext, TransactionService } from '@portico/core';
import { TenantsService } from '@portico/tenants';
import { PortalRepository } from '../portal.repository';

// Compared against when the tenant has no secret, so "no secret" and "wrong secret" take the same path.
const NO_SECRET_HASH = '0'.repeat(64);

/** The tenants' autologin secrets: rotation (shown once) and the two ways of checking them. */
@Injectable()
export class AutologinSecretsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly repository: PortalRepository,
    private readonly crypto: CryptoService,
    private readonly audit: AuditService,
    private readonly tenants: TenantsService,
  ) {}

  /** A new secret for the tenant, replacing the previous one at once. The answer is the only place it appears. */
  async rotate(ctx: RequestContext, tenantKey: string): Promise<{ secret: string }> {
    const tenant = await this.tenants.findByKey(tenantKey);
    if (!tenant) throw new NotFoundError(`Tenant "${tenantKey}"`);
    const secret = `als_${this.crypto.randomToken(32)}`;
    await this.tx.run(async () => {
      const row = (await this.repository.secretOf(tenant.id)) ?? this.repository.newSecret(tenant.id);
      const replaced = !!row.secretHash;
      row.secretHash = this.crypto.hashToken(secret);
      row.secretSealed = this.crypto.encrypt(secret);
      await this.repository.saveSecret(row);
      await this.audit.record(ctx, {
        action: 'tenant.autologin_secret.rotated',
        targetType: 'tenant',
        targetId: tenant.id,
        tenant,
        details: { replaced },
      });
    });
    return { secret };
  }

  /** When the tenant's secret was last set, or null while it has none (autologin is refused). */
  async rotatedAt(tenantId: string): Promise<Date | null> {
    return (await this.repository.secretOf(tenantId))?.updatedAt ?? null;
  }

  /**
   * The tenant a plain secret belongs to. With `tenantId` (the caller named its tenant) that
   * tenant's hash is compared in constant time; without, the secret's hash finds the tenant (a
   * 256-bit random secret cannot be guessed through its hash's index).
   */
  async tenantOfSecret(secret: string, tenantId: string | null): Promise<string | null> {
    const presented = this.crypto.hashToken(secret);
    const row = tenantId ? await this.repository.secretOf(tenantId) : await this.repository.secretByHash(presented);
    const matches = this.crypto.sameDigest(row?.secretHash ?? NO_SECRET_HASH, presented);
    return row && matches ? row.tenantId : null;
  }

  /** The tenant's secret itself (the HS256 key of its JWTs), or null when it has none. */
  async keyOf(tenantId: string): Promise<Uint8Array | null> {
    const row = await this.repository.secretOf(tenantId);
    return row ? new TextEncoder().encode(this.crypto.decrypt(row.secretSealed)) : null;
  }
}
