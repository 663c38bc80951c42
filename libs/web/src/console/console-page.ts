import type { Request } from 'express';
import { csrfToken } from '../csrf';

export interface NavItem {
  href: string;
  label: string;
  ready: boolean;
}

/** Every area of the console; the ones whose module is not built yet say so on their page. */
export const CONSOLE_NAV: NavItem[] = [
  { href: '/console', label: 'Dashboard', ready: true },
  { href: '/console/tenants', label: 'Tenants', ready: true },
  { href: '/console/organizations', label: 'Organizations', ready: true },
  { href: '/console/users', label: 'Users', ready: true },
  { href: '/console/settings/authentication', label: 'Authentication', ready: true },
  { href: '/console/ldap-directories', label: 'LDAP directories', ready: true },
  { href: '/console/external-login', label: 'External login', ready: true },
  { href: '/console/entitlements', label: 'Entitlements', ready: true },
  { href: '/console/webhooks', label: 'Webhooks', ready: true },
  { href: '/console/billing', label: 'Billing', ready: true },
  { href: '/console/audit', label: 'Audit log', ready: true },
];

/** The locals every console page needs: the CSRF token, who is signed in, the navigation, a one-time flash. */
export function consolePage(req: Request, title: string, active: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  const flash = req.session.flash;
  delete req.session.flash;
  return {
    title,
    csrf: csrfToken(req),
    admin: req.portico?.actor.label,
    nav: CONSOLE_NAV.map((item) => ({ ...item, active: item.href === active })),
    flash,
    ...data,
  };
}

export function flash(req: Request, kind: 'success' | 'error', message: string, secret?: { label: string; value: string }): void {
  req.session.flash = { kind, message, ...(secret ? { secret } : {}) };
}
