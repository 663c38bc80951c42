export * from './ldap';
