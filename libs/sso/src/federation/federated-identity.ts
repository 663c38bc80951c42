export type MappedRole = 'owner' | 'admin' | 'member';

/** Who a tenant's identity provider (SAML or OpenID Connect) says signed in, after the tenant's mapping. */
export interface FederatedIdentity {
  /** The provider's stable id for the person: the SAML NameID, the OpenID Connect `sub`. */
  subject: string;
  email: string | null;
  /** What the provider says about the address: null when it says nothing (SAML). */
  emailVerified: boolean | null;
  firstName: string;
  lastName: string;
  groupUid: string | null;
  groupName: string | null;
  groupRole: string | null;
  role: MappedRole;
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The membership role a group role names: owner / super admin, admin / administrator / power user, else member. */
export function roleFrom(value: string | null): MappedRole {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'owner' || v === 'super admin') return 'owner';
  if (v === 'admin' || v === 'administrator' || v === 'power user') return 'admin';
  return 'member';
}
