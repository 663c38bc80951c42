import { childElements, descendants, firstChild, NS, parseXml, textOf, XmlElement, XmlRefused } from './xml-tree';

// SHA-1 is refused for signatures and digests alike: collisions are practical.
export const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
export const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** What the (possibly unsigned) Response envelope says; checked against the tenant after the signature. */
export interface EnvelopeFacts {
  destination: string | null;
  issuer: string | null;
  inResponseTo: string | null;
}

/**
 * Structural checks on the whole Response before any signature is looked at, beyond what node-saml
 * checks: exactly one assertion anywhere (so none hides in Extensions or Advice), no encrypted
 * assertion, no comments, unique IDs, every signature enveloped in the Response or the Assertion
 * with exactly one reference to its parent, and SHA-256 or better everywhere.
 */
export function checkEnvelope(xml: string): EnvelopeFacts {
  const root = parseXml(xml);
  if (root.ns !== NS.protocol || root.local !== 'Response') throw new XmlRefused('The message is not a SAML Response');
  const all = descendants(root);
  if (all.some((el) => el.children.some((c) => 'comment' in c))) throw new XmlRefused('The response contains an XML comment');
  if (all.some((el) => el.ns === NS.assertion && el.local === 'EncryptedAssertion'))
    throw new XmlRefused('Encrypted assertions are not supported: turn assertion encryption off at the IdP');
  const assertions = all.filter((el) => el.ns === NS.assertion && el.local === 'Assertion');
  if (assertions.length !== 1) throw new XmlRefused(`The response must carry exactly one assertion (found ${assertions.length})`);
  const assertion = assertions[0];
  if (assertion.parent !== root) throw new XmlRefused('The assertion is not a direct child of the Response');

  const ids = all.map((el) => el.attrs.ID).filter((id): id is string => id !== undefined);
  if (new Set(ids).size !== ids.length) throw new XmlRefused('Two elements share one ID');

  const signatures = all.filter((el) => el.ns === NS.dsig && el.local === 'Signature');
  if (!signatures.length) throw new XmlRefused('The response is not signed');
  for (const sig of signatures) checkSignatureShape(sig, root, assertion);
  for (const el of all.filter((e) => e.ns === NS.dsig)) {
    if (el.local === 'SignatureMethod' && !SIGNATURE_ALGORITHMS.has(el.attrs.Algorithm ?? ''))
      throw new XmlRefused(`Signature algorithm ${el.attrs.Algorithm ?? '(none)'} is refused: use RSA-SHA256 or stronger`);
    if (el.local === 'DigestMethod' && !DIGEST_ALGORITHMS.has(el.attrs.Algorithm ?? ''))
      throw new XmlRefused(`Digest algorithm ${el.attrs.Algorithm ?? '(none)'} is refused: use SHA-256 or stronger`);
  }
  const issuer = firstChild(root, NS.assertion, 'Issuer');
  return {
    destination: root.attrs.Destination ?? null,
    issuer: issuer ? textOf(issuer) : null,
    inResponseTo: root.attrs.InResponseTo ?? null,
  };
}

function checkSignatureShape(sig: XmlElement, response: XmlElement, assertion: XmlElement): void {
  const parent = sig.parent;
  if (parent !== response && parent !== assertion) throw new XmlRefused('A signature sits outside the Response and the Assertion');
  const signedInfo = childElements(sig, NS.dsig, 'SignedInfo');
  if (signedInfo.length !== 1) throw new XmlRefused('A signature must have exactly one SignedInfo');
  const references = childElements(signedInfo[0], NS.dsig, 'Reference');
  if (references.length !== 1) throw new XmlRefused('A signature must have exactly one reference');
  const id = parent.attrs.ID;
  if (!id || references[0].attrs.URI !== `#${id}`) throw new XmlRefused('A signature does not reference the element that holds it');
  if (childElements(parent, NS.dsig, 'Signature').length !== 1) throw new XmlRefused('An element carries more than one signature');
}
