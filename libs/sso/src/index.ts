export * from './saml';
