import { SaxesParser, type SaxesTagNS } from 'saxes';

/** An element as Portico's own checks see it: namespace, local name, attributes, children in order. */
export interface XmlElement {
  ns: string;
  local: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  parent: XmlElement | null;
}

export type XmlNode = XmlElement | { text: string } | { comment: string };

export class XmlRefused extends Error {}

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
};

/**
 * Parses XML with a strict, non-validating parser that knows no DTDs: a DOCTYPE, an entity or a
 * processing instruction other than the XML declaration is refused outright. Independent of the
 * parser node-saml uses, so the structural checks do not share its blind spots.
 */
export function parseXml(xml: string, maxElements = 5000): XmlElement {
  if (/<!DOCTYPE/i.test(xml)) throw new XmlRefused('The XML has a DOCTYPE; SAML messages never need one');
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let count = 0;
  parser.on('doctype', () => {
    throw new XmlRefused('The XML has a DOCTYPE; SAML messages never need one');
  });
  parser.on('processinginstruction', () => {
    throw new XmlRefused('The XML has a processing instruction');
  });
  parser.on('opentag', (tag) => {
    if (++count > maxElements) throw new XmlRefused('The XML has too many elements');
    const t = tag as SaxesTagNS;
    const attrs: Record<string, string> = {};
    for (const a of Object.values(t.attributes))
      if (a.uri !== 'http://www.w3.org/2000/xmlns/' && a.prefix !== 'xmlns') attrs[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
    const parent = stack[stack.length - 1] ?? null;
    const el: XmlElement = { ns: t.uri ?? '', local: t.local ?? t.name, attrs, children: [], parent };
    if (parent) parent.children.push(el);
    else if (root) throw new XmlRefused('The XML has more than one root element');
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('text', (text) => stack[stack.length - 1]?.children.push({ text }));
  parser.on('cdata', (text) => stack[stack.length - 1]?.children.push({ text }));
  parser.on('comment', (comment) => stack[stack.length - 1]?.children.push({ comment }));
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof XmlRefused) throw err;
    throw new XmlRefused(`The XML is not well-formed: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  if (!root) throw new XmlRefused('The XML has no root element');
  return root;
}

export function isElement(node: XmlNode): node is XmlElement {
  return 'local' in node;
}

export function childElements(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  return el.children.filter(isElement).filter((c) => (ns === undefined || c.ns === ns) && (local === undefined || c.local === local));
}

export function firstChild(el: XmlElement, ns: string, local: string): XmlElement | null {
  return childElements(el, ns, local)[0] ?? null;
}

/** Every element below (and including) `el`, depth first. */
export function descendants(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [el];
  for (const child of el.children) if (isElement(child)) out.push(...descendants(child));
  return out;
}

/** The element's text; a comment inside it makes it unusable (the "comment in NameID" truncation attack). */
export function textOf(el: XmlElement): string {
  if (el.children.some((c) => 'comment' in c)) throw new XmlRefused(`<${el.local}> contains a comment`);
  return el.children
    .filter((c): c is { text: string } => 'text' in c)
    .map((c) => c.text)
    .join('')
    .trim();
}
