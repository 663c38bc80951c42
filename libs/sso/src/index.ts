export * from './ldap';
export * from './saml';
export * from './oidc';
