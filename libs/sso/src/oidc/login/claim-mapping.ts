import { EMAIL_PATTERN, FederatedIdentity, roleFrom } from '../../federation/federated-identity';
import type { OidcClaimMapping } from '../entities/tenant-oidc-connection.entity';

/** A claim's value as text: a string or number as is, a list's first text entry (a `groups` claim). */
function textOf(value: unknown, max: number): string | null {
  const first = Array.isArray(value) ? value.find((v) => typeof v === 'string' || typeof v === 'number') : value;
  if (typeof first !== 'string' && typeof first !== 'number') return null;
  const text = String(first).trim();
  return text ? text.slice(0, max) : null;
}

/**
 * A claim by its name, or by a dotted path into a structured claim when no claim has that name
 * (`organizations.external_uid`: the first organization's external uid). Names with dots, such as
 * namespaced URL claims, are found by their full name first.
 */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims || !name.includes('.')) return claims[name];
  let value: unknown = claims;
  for (const segment of name.split('.')) {
    if (Array.isArray(value)) value = value[0];
    if (!value || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Who the provider says signed in, after the tenant's claim mapping. `sub` is the stable key. */
export function mapClaims(claims: Record<string, unknown>, mapping: OidcClaimMapping): FederatedIdentity {
  const claim = (name: string, max: number) => textOf(claimValue(claims, name), max);
  const email = claim(mapping.email, 320);
  const groupRole = claim(mapping.groupRole, 64);
  // Some providers send the flag as the text "true"; anything else is not a verified address.
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  return {
    subject: String(claims.sub),
    email: email && EMAIL_PATTERN.test(email) ? email : null,
    emailVerified: verified,
    firstName: claim(mapping.firstName, 100) ?? '',
    lastName: claim(mapping.lastName, 100) ?? '',
    groupUid: claim(mapping.groupUid, 255),
    groupName: claim(mapping.groupName, 200),
    groupRole,
    role: roleFrom(groupRole),
  };
}
