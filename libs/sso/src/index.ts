export * from './ldap';
export * from './saml';
