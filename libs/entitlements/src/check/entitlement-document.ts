import { SaxesParser } from 'saxes';

/** What an entitlement document grants: the repository, the class and the real key. */
export interface Entitlement {
  server: string;
  className: string;
  key: string;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>';
// Exactly as the repository's reference document declares it.
export const ENTITLEMENT_DOCTYPE =
  '<!DOCTYPE entitlement [ <!ELEMENT entitlement (server, class, key)> <!ELEMENT server (#PCDATA)> <!ELEMENT class (#PCDATA)> <!ELEMENT key (#PCDATA)> ]>';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function entitlementDocument(e: Entitlement): string {
  return (
    `${XML_DECLARATION}\n${ENTITLEMENT_DOCTYPE}\n` +
    `<entitlement><server>${escapeXml(e.server)}</server><class>${escapeXml(e.className)}</class><key>${escapeXml(e.key)}</key></entitlement>\n`
  );
}

const FIELDS = ['server', 'class', 'key'] as const;

/**
 * Reads a delegated answer with a strict, non-validating XML parser: any well-formedness error, an
 * entity the document defines for itself (never expanded), another root, a missing, repeated or
 * unknown field, or markup inside a field is a refusal (null).
 */
export function parseEntitlementDocument(xml: string): Entitlement | null {
  const parser = new SaxesParser({ xmlns: false });
  const fields = new Map<string, string>();
  let depth = 0;
  let current: string | null = null;
  let broken = false;
  parser.on('error', () => {
    broken = true;
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (depth === 1) {
      if (tag.name !== 'entitlement') broken = true;
    } else if (depth === 2 && (FIELDS as readonly string[]).includes(tag.name) && !fields.has(tag.name)) {
      current = tag.name;
      fields.set(tag.name, '');
    } else {
      broken = true;
    }
  });
  parser.on('text', (text) => {
    if (current) fields.set(current, fields.get(current) + text);
    else if (text.trim()) broken = true;
  });
  parser.on('cdata', (text) => {
    if (current) fields.set(current, fields.get(current) + text);
    else broken = true;
  });
  parser.on('closetag', () => {
    depth--;
    current = null;
  });
  try {
    parser.write(xml).close();
  } catch {
    return null;
  }
  if (broken || FIELDS.some((f) => !fields.has(f))) return null;
  const [server, className, key] = FIELDS.map((f) => fields.get(f)!.trim());
  if (!server || !key) return null;
  return { server, className, key };
}
