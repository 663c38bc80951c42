import { ConflictError, DomainException, ErrorCode, isUniqueViolation, RequestContext } from '@portico/core';
import type { TenantRef } from '@portico/tenants';

/** The context a portal flow acts in: the tenant itself, through the named channel (for the audit trail). */
export function portalContext(tenant: TenantRef, channel: string, ip: string | null, requestId: string | null = null): RequestContext {
  return new RequestContext(
    { kind: 'tenant', id: channel, label: `tenant:${tenant.key}/${channel}`, tenantId: tenant.id, tenantKey: tenant.key },
    tenant.id,
    ip,
    requestId,
  );
}

/** Whether an error is a race lost to a concurrent writer (a unique constraint), worth one more try. */
export function isWriteRace(err: unknown): boolean {
  return err instanceof ConflictError || isUniqueViolation(err);
}

/**
 * Runs `work` (one whole transaction) again when it lost a race on a unique constraint: the second
 * run finds what the other writer committed. A conflict that persists is a real one and is thrown.
 */
export async function retryOnRace<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isWriteRace(err)) throw err;
    }
  }
}

/** A conflict in the data itself (an email that belongs to another uid), as opposed to a lost race: not retried. */
export class PortalConflict extends DomainException {
  constructor(message: string) {
    super(ErrorCode.Conflict, message);
  }
}
