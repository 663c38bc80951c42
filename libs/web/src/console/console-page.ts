import type { Request } from 'express';
import { csrfToken } from '../csrf';

export interface NavItem {
  href: string;
  label: string;
}

/** Every area of the console, in menu order. */
export const CONSOLE_NAV: NavItem[] = [
  { href: '/console', label: 'Dashboard' },
  { href: '/console/tenants', label: 'Tenants' },
  { href: '/console/organizations', label: 'Organizations' },
  { href: '/console/users', label: 'Users' },
  { href: '/console/settings/authentication', label: 'Authentication' },
  { href: '/console/ldap-directories', label: 'LDAP directories' },
  { href: '/console/external-login', label: 'External login' },
  { href: '/console/entitlements', label: 'Entitlements' },
  { href: '/console/webhooks', label: 'Webhooks' },
  { href: '/console/applications', label: 'Applications' },
  { href: '/console/oidc/keys', label: 'Signing keys' },
  { href: '/console/billing', label: 'Billing' },
  { href: '/console/audit', label: 'Audit log' },
  { href: '/console/mail', label: 'Mailbox' },
  { href: '/console/administrators', label: 'Administrators' },
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

/** A warning: saved as asked, but with a consequence the admin must not miss (yellow, announced at once). */
export type FlashKind = 'success' | 'warning' | 'error';

export function flash(req: Request, kind: FlashKind, message: string, secret?: { label: string; value: string }): void {
  req.session.flash = { kind, message, ...(secret ? { secret } : {}) };
}
