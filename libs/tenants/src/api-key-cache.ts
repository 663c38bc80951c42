import type { TenantRef } from './tenants.service';

interface Entry {
  secretHash: string;
  tenant: TenantRef;
  expiresAt: number;
}

// Short enough that another instance notices a revocation within seconds, long enough that a
// busy portal's calls skip the key lookup almost always.
const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Verified API keys, in memory. This instance forgets a key the moment it is revoked or its tenant
 * changes; other instances within TTL_MS (documented in the README).
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();

  get(keyId: string): Entry | null {
    const entry = this.entries.get(keyId);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(keyId);
      return null;
    }
    return entry;
  }

  set(keyId: string, secretHash: string, tenant: TenantRef): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(keyId, { secretHash, tenant, expiresAt: Date.now() + TTL_MS });
  }

  forgetKey(keyId: string): void {
    this.entries.delete(keyId);
  }

  forgetTenant(tenantId: string): void {
    for (const [keyId, entry] of this.entries) if (entry.tenant.id === tenantId) this.entries.delete(keyId);
  }
}
