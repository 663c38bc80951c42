export type TenantTab = 'overview' | 'saml' | 'oidc' | 'ldap' | 'identity-links';

/** The tabs of a tenant's console page; each tab is its own page under /console/tenants/{key}. */
export function tenantTabs(key: string, active: TenantTab): { href: string; label: string; active: boolean }[] {
  const base = `/console/tenants/${encodeURIComponent(key)}`;
  return [
    { id: 'overview', href: base, label: 'Overview' },
    { id: 'saml', href: `${base}/saml`, label: 'SAML' },
    { id: 'oidc', href: `${base}/oidc`, label: 'OpenID Connect' },
    { id: 'ldap', href: `${base}/ldap`, label: 'LDAP' },
    { id: 'identity-links', href: `${base}/identity-links`, label: 'Identity links' },
  ].map(({ id, ...tab }) => ({ ...tab, active: id === active }));
}
