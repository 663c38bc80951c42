import { parseDN } from 'ldapjs';
import { createHash } from 'node:crypto';

type Rdn = { attrs: Record<string, { value: string; name?: string }> };

function rdnsOf(dn: string): Rdn[] | null {
  if (!dn.trim()) return null;
  try {
    const rdns = (parseDN(dn) as unknown as { rdns: Rdn[] }).rdns;
    return rdns.length ? rdns : null;
  } catch {
    return null;
  }
}

const escapeKeyPart = (s: string) => s.replace(/[\\,+=]/g, (c) => `\\${c}`);

/**
 * A DN in one spelling, for comparing DNs: attribute names and values in lower case (the attributes
 * DNs are made of match case-insensitively), no spaces around separators, multi-valued RDNs sorted.
 * Null when it is not a DN.
 */
export function normalizeDn(dn: string): string | null {
  const rdns = rdnsOf(dn);
  if (!rdns) return null;
  return rdns
    .map((rdn) =>
      Object.entries(rdn.attrs)
        .map(([name, attr]) => `${escapeKeyPart(name.toLowerCase())}=${escapeKeyPart(String(attr.value).trim().toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** How an administrator may have written a DN elsewhere (an organization's externalUid): as given, and normalised with and without spaces. */
export function dnSpellings(dn: string): string[] {
  const normalized = normalizeDn(dn);
  if (!normalized) return [dn];
  // Separators of the normalised form are the commas not escaped by a backslash.
  return [dn, normalized, normalized.replace(/(?<!\\),/g, ', ')];
}

export function isDn(dn: string): boolean {
  return rdnsOf(dn) !== null;
}

/** The value of the DN's first RDN: "Sales" for cn=Sales,ou=groups,dc=example,dc=org. */
export function firstRdnValue(dn: string): string | null {
  const first = rdnsOf(dn)?.[0];
  const attr = first && Object.values(first.attrs)[0];
  return attr ? String(attr.value) : null;
}

/** A fixed-size key for a DN (a unique index cannot hold every DN a directory may have). */
export function dnHash(dn: string): string {
  return createHash('sha256')
    .update(normalizeDn(dn) ?? dn.toLowerCase(), 'utf8')
    .digest('hex');
}
