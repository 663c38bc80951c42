import { checkEnvelope } from './response-checks';
import { parseIdpMetadata } from './idp-metadata';
import { parseXml, textOf } from './xml-tree';

const P = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const sig = (ref: string, refs = 1, alg = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') =>
  `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:SignatureMethod Algorithm="${alg}"/>${`<ds:Reference URI="#${ref}"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Reference>`.repeat(refs)}</ds:SignedInfo></ds:Signature>`;
const response = (assertionSig = sig('a1'), extra = '') =>
  `<samlp:Response ${P} ID="r1" Destination="https://sp/acs" InResponseTo="_q"><saml:Issuer>idp</saml:Issuer>${extra}<saml:Assertion ID="a1"><saml:Issuer>idp</saml:Issuer>${assertionSig}</saml:Assertion></samlp:Response>`;

describe('checkEnvelope', () => {
  it('reads Destination, Issuer and InResponseTo of a well-formed response', () => {
    expect(checkEnvelope(response())).toEqual({ destination: 'https://sp/acs', issuer: 'idp', inResponseTo: '_q' });
  });

  it.each([
    ['a DOCTYPE', `<!DOCTYPE x>${response()}`, /DOCTYPE/],
    ['a comment', response().replace('<saml:Issuer>idp', '<saml:Issuer>idp<!-- x -->'), /comment/],
    ['no signature', response(''), /not signed/],
    ['two references', response(sig('a1', 2)), /exactly one reference/],
    ['a reference to another element', response(sig('r1')), /does not reference the element that holds it/],
    ['SHA-1', response(sig('a1', 1, 'http://www.w3.org/2000/09/xmldsig#rsa-sha1')), /rsa-sha1 is refused/],
    [
      'an assertion in Extensions',
      response(sig('a1'), `<samlp:Extensions><saml:Assertion ID="a2"/></samlp:Extensions>`),
      /exactly one assertion \(found 2\)/,
    ],
    ['an encrypted assertion', response(sig('a1'), '<saml:EncryptedAssertion/>'), /Encrypted assertions are not supported/],
    ['a processing instruction', `<?evil x?>${response()}`, /processing instruction/],
    ['not XML', 'hello <', /not well-formed/],
  ])('refuses %s', (_name, xml, message) => {
    expect(() => checkEnvelope(xml)).toThrow(message);
  });
});

describe('textOf', () => {
  it('joins text and refuses a comment inside an element', () => {
    expect(textOf(parseXml('<a>x<![CDATA[y]]>z</a>'))).toBe('xyz');
    expect(() => textOf(parseXml('<a>victim@example.com<!---->.evil.test</a>'))).toThrow(/contains a comment/);
  });
});

describe('parseIdpMetadata', () => {
  it('takes the entity id, the HTTP-Redirect sign-in URL and the signing certificates', () => {
    const md = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp">
      <md:IDPSSODescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>ENC</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>SIGN</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
    expect(parseIdpMetadata(md)).toEqual({
      entityId: 'https://idp',
      ssoUrl: 'https://idp/sso',
      certificates: ['-----BEGIN CERTIFICATE-----\nSIGN\n-----END CERTIFICATE-----\n'],
    });
  });
});
