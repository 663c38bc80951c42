import { childElements, descendants, NS, parseXml, textOf, XmlRefused } from './xml-tree';

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
}

/**
 * The IdP's entity id, its HTTP-Redirect SingleSignOnService and its signing certificates, from an
 * EntityDescriptor (or the first IdP of an EntitiesDescriptor). Anything else in it is ignored.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  let root;
  try {
    root = parseXml(xml, 20_000);
  } catch (err) {
    throw new XmlRefused(`The IdP metadata cannot be read: ${(err as Error).message}`);
  }
  const entity = descendants(root).find(
    (el) => el.ns === NS.metadata && el.local === 'EntityDescriptor' && childElements(el, NS.metadata, 'IDPSSODescriptor').length,
  );
  if (!entity) throw new XmlRefused('The metadata has no EntityDescriptor with an IDPSSODescriptor');
  const entityId = entity.attrs.entityID?.trim();
  if (!entityId) throw new XmlRefused('The EntityDescriptor has no entityID');
  const idp = childElements(entity, NS.metadata, 'IDPSSODescriptor')[0];
  const sso = childElements(idp, NS.metadata, 'SingleSignOnService').find((s) => s.attrs.Binding === REDIRECT);
  if (!sso?.attrs.Location) throw new XmlRefused('The IdP offers no HTTP-Redirect SingleSignOnService, which Portico uses');
  const certificates = childElements(idp, NS.metadata, 'KeyDescriptor')
    .filter((k) => !k.attrs.use || k.attrs.use === 'signing')
    .flatMap((k) => descendants(k).filter((el) => el.ns === NS.dsig && el.local === 'X509Certificate'))
    .map((el) => toPem(textOf(el)));
  if (!certificates.length) throw new XmlRefused('The metadata names no signing certificate for the IdP');
  return { entityId, ssoUrl: sso.attrs.Location.trim(), certificates: [...new Set(certificates)] };
}

export function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
}
