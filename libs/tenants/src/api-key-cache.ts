import { BoundedMap } from '@portico/core';
import type { TenantRef } from './tenants.service';

interface Entry {
  secretHash: string;
  tenant: TenantRef;
  expiresAt: number;
}

// With Redis, other instances are told of a revocation at once; this bound is the fallback (no
// Redis, or a message lost while Redis was away). Long enough that a busy portal's calls skip the
// key lookup almost always.
const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Verified API keys, in memory. This instance forgets a key the moment it is revoked or its tenant
 * changes; other instances when the Broadcast tells them, and within TTL_MS in any case (README).
 */
export class ApiKeyCache {
  private readonly entries = new BoundedMap<string, Entry>(MAX_ENTRIES);

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
    this.entries.set(keyId, { secretHash, tenant, expiresAt: Date.now() + TTL_MS });
  }

  forgetKey(keyId: string): void {
    this.entries.delete(keyId);
  }

  forgetTenant(tenantId: string): void {
    for (const [keyId, entry] of this.entries) if (entry.tenant.id === tenantId) this.entries.delete(keyId);
  }
}
