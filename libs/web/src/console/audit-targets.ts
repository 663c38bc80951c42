import type { AuditEventView } from '@portico/core';

type Href = (id: string, e: AuditEventView) => string | null;

// Where each kind of target is seen in the console; kinds without a page are shown as text.
const PAGES: Record<string, Href> = {
  user: (id) => `/console/users/${id}`,
  organization: (id) => `/console/organizations/${id}`,
  tenant: (_, e) => (e.tenantKey ? `/console/tenants/${e.tenantKey}` : null),
  tenant_api_key: (_, e) => (e.tenantKey ? `/console/tenants/${e.tenantKey}` : null),
  webhook_endpoint: (id) => `/console/webhooks/${id}`,
  webhook_message: (id, e) =>
    typeof e.details?.endpointId === 'string' ? `/console/webhooks/${e.details.endpointId}/messages/${id}` : null,
  external_login_provider: (id) => `/console/external-login/${id}`,
  ldap_directory: (id) => `/console/ldap-directories/${id}`,
  entitlement_class: (id) => `/console/entitlements/classes/${id}`,
  entitlement_source: (id) => `/console/entitlements/sources/${id}`,
  virtual_entitlement: (id) => `/console/entitlements/keys/${id}`,
  entitlement_server: () => '/console/entitlements/servers',
  oidc_client: (id) => `/console/applications/${id}`,
  oidc_signing_key: () => '/console/oidc/keys',
  billing_run: (id) => `/console/billing/runs/${id}`,
  mail: (id) => `/console/mail/${id}`,
  settings: (id) =>
    id === 'authentication' ? '/console/settings/authentication' : id === 'external-login' ? '/console/settings/external-login' : null,
};

/** An audit row as the page shows it: the target links to its page (not once the action deleted it). */
export function auditRow(e: AuditEventView): AuditEventView & { targetHref: string | null; targetShortId: string | null } {
  const id = e.target.id;
  const page = id && !e.action.endsWith('.deleted') ? PAGES[e.target.type] : undefined;
  const href = page ? page(encodeURIComponent(id!), e) : null;
  return { ...e, targetHref: href, targetShortId: id && id.length > 12 ? `${id.slice(0, 8)}…` : id };
}
