import type { MembershipRole } from '@portico/users';

export const LDAP_PRESETS = ['openldap', 'active-directory'] as const;
export type LdapPreset = (typeof LDAP_PRESETS)[number];

export type DirectoryRole = MembershipRole;
export const DIRECTORY_ROLES: DirectoryRole[] = ['owner', 'admin', 'member'];

/** Which entry attributes hold what Portico needs. `groups`: an attribute listing the entry's group DNs (memberOf), or null. */
export interface AttributeMapping {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  groups: string | null;
}

/** Group DN → the role its members get in the organization the group stands for. */
export type GroupRoleMapping = Record<string, DirectoryRole>;

export interface PresetDefaults {
  searchFilter: string;
  attributeMapping: AttributeMapping;
  groupSearchFilter: string | null;
}

/**
 * What a preset fills in when the administrator leaves it out.
 * - OpenLDAP: inetOrgPerson entries by uid; groups from the memberOf overlay when it runs, and from
 *   groupOfNames entries that list the user as a member (which works without the overlay).
 * - Active Directory: people by sAMAccountName or userPrincipalName (user@domain), disabled accounts
 *   left out (userAccountControl bit 2); groups from memberOf.
 */
export const PRESET_DEFAULTS: Record<LdapPreset, PresetDefaults> = {
  openldap: {
    searchFilter: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
    attributeMapping: { username: 'uid', email: 'mail', firstName: 'givenName', lastName: 'sn', groups: 'memberOf' },
    groupSearchFilter: '(&(objectClass=groupOfNames)(member={{dn}}))',
  },
  'active-directory': {
    searchFilter:
      '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(|(sAMAccountName={{username}})(userPrincipalName={{username}})))',
    attributeMapping: { username: 'sAMAccountName', email: 'mail', firstName: 'givenName', lastName: 'sn', groups: 'memberOf' },
    groupSearchFilter: null,
  },
};
