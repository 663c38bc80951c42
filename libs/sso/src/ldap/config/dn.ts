import { createHash } from 'node:crypto';

/** One attribute of an RDN: its type as written and its value with the escapes undone. */
type Ava = { type: string; value: string };

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/**
 * The RDNs of a DN string (RFC 4514, with RFC 2253's quoted values and `;` separators, which
 * directories still send), or null when it is not one. ldapts builds DNs but does not read them.
 */
function rdnsOf(dn: string): Ava[][] | null {
  if (!dn.trim()) return null;
  const rdns: Ava[][] = [[]];
  let i = 0;
  const skipSpaces = () => {
    while (i < dn.length && /\s/.test(dn[i])) i++;
  };
  for (;;) {
    skipSpaces();
    const eq = dn.indexOf('=', i);
    if (eq < 0) return null;
    const type = dn.slice(i, eq).trim();
    if (!TYPE.test(type)) return null;
    i = eq + 1;
    skipSpaces();
    const value = readValue();
    if (value === null) return null;
    rdns[rdns.length - 1].push({ type, value });
    if (i >= dn.length) return rdns;
    // `+` adds to this RDN (multi-valued), `,` or `;` starts the next one.
    if (dn[i] !== '+') rdns.push([]);
    i++;
  }

  /** A value up to the next unescaped `,` `;` `+` (or the end); the cursor is left on that separator. */
  function readValue(): string | null {
    // A BER-encoded value (#hex) is compared as written; any other leading # is text, as directories are lenient there.
    const ber = /^#(?:[0-9A-Fa-f]{2})+\s*(?=[,;+]|$)/.exec(dn.slice(i))?.[0];
    if (ber) {
      i += ber.length;
      return ber.trim();
    }
    if (dn[i] === '"') {
      let text = '';
      for (i++; i < dn.length && dn[i] !== '"'; i++) {
        if (dn[i] === '\\') i++;
        if (i >= dn.length) return null;
        text += dn[i];
      }
      if (i++ >= dn.length) return null;
      return atSeparator() ? text : null;
    }
    // Escaped bytes (\XX) are UTF-8, several of them one character; escaped spaces at the end stay.
    const bytes: number[] = [];
    let kept = 0;
    while (i < dn.length && !',;+'.includes(dn[i])) {
      if (dn[i] === '\\') {
        const pair = dn.slice(i + 1, i + 3);
        if (HEX_PAIR.test(pair)) {
          bytes.push(parseInt(pair, 16));
          i += 3;
        } else if (i + 1 < dn.length) {
          const char = String.fromCodePoint(dn.codePointAt(i + 1)!);
          bytes.push(...Buffer.from(char, 'utf8'));
          i += 1 + char.length;
        } else return null;
        kept = bytes.length;
      } else {
        const char = String.fromCodePoint(dn.codePointAt(i)!);
        bytes.push(...Buffer.from(char, 'utf8'));
        i += char.length;
        if (!/\s/.test(char)) kept = bytes.length;
      }
    }
    return Buffer.from(bytes.slice(0, kept)).toString('utf8');
  }

  function atSeparator(): boolean {
    skipSpaces();
    return i >= dn.length || ',;+'.includes(dn[i]);
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
      rdn
        .map(({ type, value }) => `${escapeKeyPart(type.toLowerCase())}=${escapeKeyPart(value.trim().toLowerCase())}`)
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
  return rdnsOf(dn)?.[0]?.[0]?.value ?? null;
}

/** A fixed-size key for a DN (a unique index cannot hold every DN a directory may have). */
export function dnHash(dn: string): string {
  return createHash('sha256')
    .update(normalizeDn(dn) ?? dn.toLowerCase(), 'utf8')
    .digest('hex');
}
