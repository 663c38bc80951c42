import type { SamlAttributeMapping } from '../entities/saml-connection.entity';
import { EMAIL_PATTERN as EMAIL, MappedRole, roleFrom } from '../../federation/federated-identity';

export { roleFrom };

/**
 * Attribute names Portico reads when a tenant maps nothing else: the names marketplace IdPs send
 * (uid in the NameID, then email, name, surname and the group the user signs in through).
 */
export const DEFAULT_ATTRIBUTE_MAPPING: SamlAttributeMapping = {
  email: 'email',
  firstName: 'name',
  lastName: 'surname',
  groupUid: 'group_uid',
  groupName: 'group_name',
  groupRole: 'group_role',
};

/** Who the IdP says signed in, after the tenant's attribute mapping. */
export interface MappedIdentity {
  nameId: string;
  email: string | null;
  firstName: string;
  lastName: string;
  groupUid: string | null;
  groupName: string | null;
  groupRole: string | null;
  role: MappedRole;
}

export function mapIdentity(nameId: string, attributes: Record<string, string[]>, mapping: SamlAttributeMapping): MappedIdentity {
  const first = (name: string, max: number) => {
    const value = (attributes[name] ?? []).map((v) => v.trim()).find(Boolean);
    return value ? value.slice(0, max) : null;
  };
  const email = first(mapping.email, 320) ?? (EMAIL.test(nameId) ? nameId : null);
  const groupRole = first(mapping.groupRole, 64);
  return {
    nameId,
    email: email && EMAIL.test(email) ? email : null,
    firstName: first(mapping.firstName, 100) ?? '',
    lastName: first(mapping.lastName, 100) ?? '',
    groupUid: first(mapping.groupUid, 255),
    groupName: first(mapping.groupName, 200),
    groupRole,
    role: roleFrom(groupRole),
  };
}
