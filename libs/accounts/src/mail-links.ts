import type { TenantRef } from '@portico/tenants';

/**
 * A page's address for a user's own pages: a tenant's users get the tenant's form
 * (`/t/{key}/…`), the one their mailed links are bound to, so the page stays same-origin with
 * the tenant's sign-in pages and a link works only there.
 */
export function accountPageUrl(publicUrl: string, tenant: Pick<TenantRef, 'key'> | null, path: string, token?: string): string {
  const base = `${publicUrl}${tenant ? `/t/${encodeURIComponent(tenant.key)}` : ''}${path}`;
  return token ? `${base}?token=${encodeURIComponent(token)}` : base;
}

/** The tenant as a mail names it. */
export function mailTenant(tenant: TenantRef | null): { id: string; key: string; name: string } | null {
  return tenant ? { id: tenant.id, key: tenant.key, name: tenant.name } : null;
}
