import { generateServiceProviderMetadata, SAML, ValidateInResponseTo, type CacheProvider } from '@node-saml/node-saml';
import { randomBytes } from 'node:crypto';

/** A tenant's SP and IdP settings, as node-saml needs them. */
export interface EngineSettings {
  spEntityId: string;
  acsUrl: string;
  spPrivateKeyPem: string;
  spCertificates: string[];
  nameIdFormat: string;
  idpSsoUrl: string;
  idpCertificates: string[];
  clockSkewMs: number;
}

// Portico keeps request ids itself (SamlStore, shared by every instance), so node-saml's own
// cache (in memory, with a timer per instance) is never used.
const NO_CACHE: CacheProvider = {
  saveAsync: async () => null,
  getAsync: async () => null,
  removeAsync: async () => null,
};

/** Request ids start with a letter (xs:ID is an NCName). */
export function newRequestId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

function saml(s: EngineSettings, requestId = newRequestId()): SAML {
  return new SAML({
    issuer: s.spEntityId,
    callbackUrl: s.acsUrl,
    audience: s.spEntityId,
    entryPoint: s.idpSsoUrl,
    idpCert: s.idpCertificates,
    privateKey: s.spPrivateKeyPem,
    publicCert: s.spCertificates[0],
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    identifierFormat: s.nameIdFormat,
    acceptedClockSkewMs: s.clockSkewMs,
    // Either the Response or the Assertion must carry a valid signature; Portico's own checks add the rest.
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
    disableRequestedAuthnContext: true,
    cacheProvider: NO_CACHE,
    generateUniqueId: () => requestId,
  });
}

/** The IdP URL with a deflated, SHA-256-signed AuthnRequest (HTTP-Redirect binding). */
export async function authorizeUrl(s: EngineSettings, requestId: string, relayState: string): Promise<string> {
  return saml(s, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
}

/**
 * Verifies the signature (Response or Assertion) and node-saml's own checks (one assertion,
 * Conditions window, Audience). Returns only the XML of the assertion that was verified.
 */
export async function verifiedAssertionXml(s: EngineSettings, samlResponse: string): Promise<string> {
  const { profile } = await saml(s).validatePostResponseAsync({ SAMLResponse: samlResponse });
  if (!profile) throw new Error('The response carries no assertion');
  return profile.getAssertionXml?.() ?? '';
}

export function spMetadataXml(s: Omit<EngineSettings, 'idpSsoUrl' | 'idpCertificates' | 'clockSkewMs'>): string {
  return generateServiceProviderMetadata({
    issuer: s.spEntityId,
    callbackUrl: s.acsUrl,
    identifierFormat: s.nameIdFormat,
    wantAssertionsSigned: true,
    privateKey: s.spPrivateKeyPem,
    publicCerts: s.spCertificates,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
  });
}
