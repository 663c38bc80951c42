import { childElements, descendants, firstChild, NS, parseXml, textOf, XmlElement, XmlRefused } from './xml-tree';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** What Portico expects of an assertion for one tenant. */
export interface AssertionExpectations {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  clockSkewMs: number;
  now: number;
}

export interface AssertionFacts {
  id: string;
  nameId: string;
  nameIdFormat: string | null;
  inResponseTo: string | null;
  /** The last moment any of its validity windows allows (replay cache lifetime). */
  expiresAt: Date;
  attributes: Record<string, string[]>;
}

/**
 * Reads the assertion node-saml verified (only signed content, never the raw response) and checks
 * what node-saml does not: the Issuer, the bearer SubjectConfirmationData (Recipient, validity
 * window) and every AudienceRestriction.
 */
export function readVerifiedAssertion(xml: string, expect: AssertionExpectations): AssertionFacts {
  const assertion = parseXml(xml);
  if (assertion.ns !== NS.assertion || assertion.local !== 'Assertion') throw new XmlRefused('The signed content is not an assertion');
  if (descendants(assertion).some((el) => el.children.some((c) => 'comment' in c)))
    throw new XmlRefused('The assertion contains an XML comment');
  const id = assertion.attrs.ID;
  if (!id) throw new XmlRefused('The assertion has no ID');

  const issuerEl = firstChild(assertion, NS.assertion, 'Issuer');
  const issuer = issuerEl ? textOf(issuerEl) : '';
  if (issuer !== expect.idpEntityId) throw new XmlRefused(`The assertion's Issuer "${cut(issuer)}" is not this tenant's IdP`);

  const subject = firstChild(assertion, NS.assertion, 'Subject');
  const nameIdEl = subject ? firstChild(subject, NS.assertion, 'NameID') : null;
  const nameId = nameIdEl ? textOf(nameIdEl) : '';
  if (!nameId) throw new XmlRefused('The assertion has no NameID');
  if (nameId.length > 255) throw new XmlRefused('The NameID is longer than 255 characters');

  const confirmation = bearerConfirmation(subject!, expect);
  const conditions = childElements(assertion, NS.assertion, 'Conditions');
  if (conditions.length !== 1) throw new XmlRefused('The assertion must have exactly one Conditions element');
  const window = checkWindow(conditions[0], expect, 'Conditions');
  const restrictions = childElements(conditions[0], NS.assertion, 'AudienceRestriction');
  if (!restrictions.length) throw new XmlRefused('The assertion has no AudienceRestriction');
  for (const r of restrictions) {
    const audiences = childElements(r, NS.assertion, 'Audience').map(textOf);
    if (!audiences.includes(expect.spEntityId)) throw new XmlRefused('The assertion is meant for another audience');
  }

  const notAfter = Math.max(confirmation.notOnOrAfter, window.notOnOrAfter ?? confirmation.notOnOrAfter) + expect.clockSkewMs;
  return {
    id,
    nameId,
    nameIdFormat: nameIdEl!.attrs.Format ?? null,
    inResponseTo: confirmation.inResponseTo,
    expiresAt: new Date(notAfter),
    attributes: readAttributes(assertion),
  };
}

function bearerConfirmation(subject: XmlElement, expect: AssertionExpectations): { notOnOrAfter: number; inResponseTo: string | null } {
  const bearer = childElements(subject, NS.assertion, 'SubjectConfirmation').filter((c) => c.attrs.Method === BEARER);
  if (!bearer.length) throw new XmlRefused('The assertion has no bearer SubjectConfirmation');
  const problems: string[] = [];
  for (const c of bearer) {
    const data = firstChild(c, NS.assertion, 'SubjectConfirmationData');
    if (!data) {
      problems.push('no SubjectConfirmationData');
      continue;
    }
    if (data.attrs.Recipient !== expect.acsUrl) {
      problems.push('its Recipient is not this tenant’s ACS URL');
      continue;
    }
    try {
      const w = checkWindow(data, expect, 'SubjectConfirmationData');
      if (w.notOnOrAfter === null) throw new XmlRefused('SubjectConfirmationData has no NotOnOrAfter');
      return { notOnOrAfter: w.notOnOrAfter, inResponseTo: data.attrs.InResponseTo ?? null };
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  throw new XmlRefused(`No usable bearer SubjectConfirmation: ${problems.join('; ')}`);
}

function checkWindow(el: XmlElement, expect: AssertionExpectations, what: string): { notOnOrAfter: number | null } {
  const notBefore = time(el.attrs.NotBefore, `${what} NotBefore`);
  const notOnOrAfter = time(el.attrs.NotOnOrAfter, `${what} NotOnOrAfter`);
  if (notBefore !== null && expect.now + expect.clockSkewMs < notBefore) throw new XmlRefused(`The assertion is not yet valid (${what})`);
  if (notOnOrAfter !== null && expect.now - expect.clockSkewMs >= notOnOrAfter) throw new XmlRefused(`The assertion has expired (${what})`);
  return { notOnOrAfter };
}

function time(value: string | undefined, what: string): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) throw new XmlRefused(`${what} is not a valid time`);
  return ms;
}

function readAttributes(assertion: XmlElement): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attr of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attr.attrs.Name;
      if (!name) continue;
      const values = childElements(attr, NS.assertion, 'AttributeValue').map(textOf);
      out[name] = [...(out[name] ?? []), ...values];
    }
  }
  return out;
}

function cut(s: string): string {
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}
