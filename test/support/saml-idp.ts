import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * A test IdP whose responses are signed by an independent signer: Debian's xmlsec1, driven from
 * here, with keys and certificates made by the openssl command line. Nothing of the library under
 * test signs anything.
 */
export const XMLSEC1 = '/usr/bin/xmlsec1';
export const xmlsecPresent = existsSync(XMLSEC1);

/** Fails under CI=true when xmlsec1 is missing; elsewhere says loudly that the suite is skipped. */
export function requireXmlsec(): boolean {
  if (xmlsecPresent) return true;
  if (process.env.CI === 'true') throw new Error(`${XMLSEC1} is missing, but CI=true requires the SAML suites (apt-get install xmlsec1)`);
  process.stderr.write(`\n  [skipped] SAML suites: ${XMLSEC1} is not installed (apt-get install xmlsec1)\n`);
  return false;
}

const ALGS = {
  sha256: {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
  /** An RSA-SHA256 signature over a SHA-1 digest. */
  sha1Digest: { signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
};

export interface IdpKeys {
  keyPem: string;
  certPem: string;
  keyFile: string;
  certFile: string;
}

export interface ResponseOptions {
  acsUrl: string;
  spEntityId: string;
  idpEntityId: string;
  nameId: string;
  attributes?: Record<string, string | string[]>;
  inResponseTo?: string | null;
  /** Seconds from now. */
  notBefore?: number;
  notOnOrAfter?: number;
  audience?: string;
  recipient?: string;
  destination?: string | null;
  issuer?: string;
  responseIssuer?: string | null;
  assertionId?: string;
  sign?: 'assertion' | 'response' | 'none';
  algorithm?: keyof typeof ALGS;
  keys?: IdpKeys;
}

const iso = (secondsFromNow: number) => new Date(Date.now() + secondsFromNow * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
export const newId = () => `_${randomBytes(16).toString('hex')}`;

export class TestIdp {
  readonly dir = mkdtempSync(join(tmpdir(), 'portico-saml-'));
  readonly keys: IdpKeys;

  constructor(readonly entityId = `https://idp-${randomBytes(4).toString('hex')}.example.test/idp`) {
    this.keys = this.makeKeys('idp', 365);
  }

  /** An RSA key and a self-signed certificate valid for `days` days (openssl). */
  makeKeys(name: string, days: number): IdpKeys {
    const keyFile = join(this.dir, `${name}.key`);
    const certFile = join(this.dir, `${name}.crt`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        String(days),
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-subj',
        `/CN=${name} test IdP`,
      ],
      { stdio: 'pipe' },
    );
    return { keyFile, certFile, keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
  }

  get ssoUrl(): string {
    return `${this.entityId.replace(/\/idp$/, '')}/sso`;
  }

  metadataXml(): string {
    const cert = this.keys.certPem.replace(/-----[^-]+-----|\s/g, '');
    return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(this.entityId)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(this.ssoUrl)}/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(this.ssoUrl)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
  }

  /** The unsigned Response XML, with signature templates where `sign` asks for them. */
  responseXml(o: ResponseOptions): { xml: string; responseId: string; assertionId: string } {
    const responseId = newId();
    const assertionId = o.assertionId ?? newId();
    const alg = ALGS[o.algorithm ?? 'sha256'];
    const sign = o.sign ?? 'assertion';
    const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acsUrl)}"`;
    const notOnOrAfter = iso(o.notOnOrAfter ?? 300);
    const notBefore = iso(o.notBefore ?? -60);
    const attrs = Object.entries(o.attributes ?? {})
      .map(
        ([name, values]) =>
          `<saml:Attribute Name="${esc(name)}">${[values]
            .flat()
            .map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`)
            .join('')}</saml:Attribute>`,
      )
      .join('');
    const responseIssuer =
      o.responseIssuer === null ? '' : `<saml:Issuer>${esc(o.responseIssuer ?? o.issuer ?? o.idpEntityId)}</saml:Issuer>`;
    const assertion =
      `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${iso(0)}">` +
      `<saml:Issuer>${esc(o.issuer ?? o.idpEntityId)}</saml:Issuer>` +
      (sign === 'assertion' ? signatureTemplate(assertionId, alg) : '') +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${esc(o.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? o.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
      `</saml:Assertion>`;
    const xml =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${iso(0)}"${destination}${irt}>` +
      responseIssuer +
      (sign === 'response' ? signatureTemplate(responseId, alg) : '') +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    return { xml, responseId, assertionId };
  }

  /** Signs the first signature template in `xml` with xmlsec1. */
  sign(xml: string, keys: IdpKeys = this.keys): string {
    const input = join(this.dir, `in-${randomBytes(6).toString('hex')}.xml`);
    const output = `${input}.signed`;
    writeFileSync(input, xml);
    execFileSync(
      XMLSEC1,
      [
        '--sign',
        '--privkey-pem',
        `${keys.keyFile},${keys.certFile}`,
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:protocol:Response',
        '--output',
        output,
        input,
      ],
      { stdio: 'pipe' },
    );
    const signed = readFileSync(output, 'utf8');
    rmSync(input);
    rmSync(output);
    return signed;
  }

  /** A signed response (or an unsigned one with sign: 'none'), as XML. */
  signedXml(o: ResponseOptions): { xml: string; assertionId: string } {
    const { xml, assertionId } = this.responseXml(o);
    return { xml: o.sign === 'none' ? xml : this.sign(xml, o.keys), assertionId };
  }

  /** The same, base64 as the browser posts it. */
  signedResponse(o: ResponseOptions): string {
    return b64(this.signedXml(o).xml);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function signatureTemplate(id: string, alg: { signature: string; digest: string }, extraReferenceIds: string[] = []): string {
  const reference = (ref: string) =>
    `<ds:Reference URI="#${ref}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="${alg.digest}"/><ds:DigestValue/></ds:Reference>`;
  return (
    `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="${alg.signature}"/>${[id, ...extraReferenceIds].map(reference).join('')}</ds:SignedInfo>` +
    `<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
  );
}

export const SHA256 = ALGS.sha256;

export function b64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

/** The AuthnRequest a redirect to the IdP carries (HTTP-Redirect binding: deflated, base64, in the query). */
export function authnRequestOf(location: string): { xml: string; id: string; url: URL } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const id = /\sID="([^"]+)"/.exec(xml)?.[1] ?? '';
  return { xml, id, url };
}
